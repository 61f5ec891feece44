// `npm start` needs Electron's binary. npm 11 does not run Electron's download script on install
// (install scripts need approval), so fetch it here on first start. Builds and tests never need it.
import { existsSync, readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

const dir = join(import.meta.dirname, '..', 'node_modules', 'electron')
const pathFile = join(dir, 'path.txt')
const present = existsSync(pathFile) && existsSync(join(dir, 'dist', readFileSync(pathFile, 'utf8').trim()))
if (!present) {
  console.log('Electron binary missing; downloading it once (node node_modules/electron/install.js)…')
  const result = spawnSync(process.execPath, [join(dir, 'install.js')], { stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(
      'Could not download Electron. On a machine without network access the tray app cannot start; the CLI (bin/auth-pool) still works.',
    )
    process.exit(1)
  }
}
