import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name)
    if (name === 'node_modules' || name === 'out') return []
    return statSync(full).isDirectory() ? filesUnder(full) : /\.(ts|tsx|mts)$/.test(name) ? [full] : []
  })
}

const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)].map(
    (m) => m[1]!,
  )

/** The folders (under src/) a non-test file of each layer may import from, besides packages. */
const ALLOWED: Record<string, readonly string[]> = {
  'main/engine': ['main/engine', 'shared'],
  'main/store': ['main/store', 'main/system', 'shared'],
  // The usage service implements the engine's UsageSource port, and sees nothing else of it.
  'main/usage': ['main/usage', 'main/system', 'shared', 'main/engine/ports'],
  'main/system': ['main/system', 'main/engine/ports', 'shared'],
  // Start at login and the command on PATH: plain Node; the Electron calls come in through a port.
  'main/desktop': ['main/desktop'],
  shared: ['shared'],
}

describe('layering', () => {
  it('keeps each layer to its own folders: the engine sees neither the store nor the usage service', () => {
    const offenders: string[] = []
    for (const [layer, allowed] of Object.entries(ALLOWED))
      for (const file of filesUnder(join(root, 'src', layer)).filter((f) => !/\.test\.tsx?$/.test(f)))
        for (const spec of importsOf(file).filter((m) => m.startsWith('.'))) {
          const target = relative(join(root, 'src'), resolve(dirname(file), spec))
          if (!allowed.some((a) => target === a || target.startsWith(`${a}/`)))
            offenders.push(`${relative(root, file)} imports ${target}`)
        }
    expect(offenders).toEqual([])
  })

  it('detects an import across layers when there is one (the check itself works)', () => {
    const cli = importsOf(join(root, 'src/main/cli/main.ts')).map((m) =>
      relative(join(root, 'src'), resolve(join(root, 'src/main/cli'), m)),
    )
    expect(cli).toContain('main/store/stateStore')
  })

  it('keeps Electron out of the engine, the store, the CLI, the desktop integration and src/shared', () => {
    const offenders = ['src/main/engine', 'src/main/store', 'src/main/cli', 'src/main/desktop', 'src/shared']
      .flatMap((dir) => filesUnder(join(root, dir)))
      .filter((file) =>
        importsOf(file).some((m) => m === 'electron' || m.startsWith('electron/') || m === 'electron-store'),
      )
      .map((file) => relative(root, file))
    expect(offenders).toEqual([])
  })

  it('keeps node:* out of src/shared, which the renderer imports too', () => {
    const offenders = filesUnder(join(root, 'src/shared'))
      .filter((file) =>
        importsOf(file).some((m) => m.startsWith('node:') || ['fs', 'path', 'os', 'child_process'].includes(m)),
      )
      .map((file) => relative(root, file))
    expect(offenders).toEqual([])
  })

  it('never imports electron from a Node test (it cannot load here)', () => {
    const offenders = [...filesUnder(join(root, 'src')), ...filesUnder(join(root, 'test'))]
      .filter((file) => /\.test\.tsx?$/.test(file))
      .filter((file) => importsOf(file).some((m) => m === 'electron'))
    expect(offenders).toEqual([])
  })

  it('detects an electron import when there is one (the check itself works)', () => {
    expect(importsOf(join(root, 'src/main/index.ts'))).toContain('electron')
  })
})
