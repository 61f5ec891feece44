// The packaging configuration, checked without building a package (that needs Electron's binary, which
// this machine cannot download; the GitHub workflow builds them): ids agree, the targets are there, and
// every file the app loads at run time is in the package, outside the archive where it must be.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { matchesGlob } from 'node:path'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { APP_ID } from '../src/main/shell/appId'
import { ROOT } from './helpers/processes'

type Config = {
  appId: string
  files: string[]
  asarUnpack: string[]
  electronFuses: Record<string, boolean>
  mac: { target: string[]; extendInfo: Record<string, unknown> }
  win: { target: string[] }
  linux: { target: string[] }
}
const config = parse(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as Config
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  main: string
  scripts: Record<string, string>
  dependencies: Record<string, string>
  author?: { name?: string; email?: string }
}

/** Whether electron-builder's `files` patterns take a path: the last pattern that speaks of it decides. */
const packaged = (path: string) =>
  config.files.reduce(
    (taken, pattern) =>
      pattern.startsWith('!')
        ? matchesGlob(path, pattern.slice(1))
          ? false
          : taken
        : taken || matchesGlob(path, pattern),
    false,
  )
const unpacked = (path: string) => config.asarUnpack.some((pattern) => matchesGlob(path, pattern))

/** Every file under a folder, relative to the project. */
const filesUnder = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))

describe('electron-builder.yml', () => {
  it('names the app as the code does, and lists the targets of each system', () => {
    expect(config.appId).toBe(APP_ID)
    expect(config.mac.target).toEqual(['dmg', 'zip'])
    expect(config.win.target).toEqual(['nsis'])
    expect(config.linux.target).toEqual(['AppImage', 'deb'])
    expect(config.mac.extendInfo.LSUIElement).toBe(true) // a menu-bar app, without a Dock icon
    for (const script of ['dist', 'dist:mac', 'dist:win', 'dist:linux'])
      expect(pkg.scripts[script]).toMatch(/^npm run build && electron-builder\b.*--publish never/)
  })

  it('packages every file the app loads, with what runs outside Electron unpacked from the archive', () => {
    if (!existsSync(join(ROOT, 'out', 'main', 'index.js'))) throw new Error('run `npm run build` first')
    const main = pkg.main.replace(/^\.\//, '')
    const loaded = [
      main,
      'out/preload/index.cjs',
      'out/renderer/index.html',
      ...filesUnder('out/renderer/assets'),
      'resources/icon.png',
      // The tray's icons, for every state, plain and as macOS templates (src/main/shell/electronTray.ts).
      ...['empty', 'ok', 'near', 'exhausted'].flatMap((state) =>
        ['', 'Template'].flatMap((t) => [
          `resources/tray-${state}-16${t}.png`,
          `resources/tray-${state}-16${t}@2x.png`,
        ]),
      ),
    ]
    for (const file of loaded) {
      expect(existsSync(join(ROOT, file)), `${file} exists`).toBe(true)
      expect(packaged(file), `${file} is packaged`).toBe(true)
    }
    // The command line, the status line and the usage worker, with every chunk they import.
    for (const file of filesUnder('out/main').filter((f) => f.endsWith('.js'))) {
      expect(packaged(file), `${file} is packaged`).toBe(true)
      expect(unpacked(file), `${file} is unpacked`).toBe(true)
    }
    for (const left of ['src/main/index.ts', 'test/cli.test.ts', 'resources/make-icons.mjs', 'out/main/index.js.map'])
      expect(packaged(left), `${left} stays out`).toBe(false)
  })

  it('ships as dependencies exactly the modules the built app loads from node_modules, and names a maintainer', () => {
    // electron-builder puts `dependencies` into the archive: whatever the bundles leave external must be
    // there, and what they bundle (zod, React) need not be.
    const bundles = [...filesUnder('out/main'), 'out/preload/index.cjs'].filter((f) => /\.c?js$/.test(f))
    const external = new Set(
      bundles.flatMap((file) =>
        [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\b(?:from ?|import\(|require\()["']([^"'./][^"']*)["']/g)]
          .map((m) => m[1]!)
          .filter((name) => !name.startsWith('node:') && name !== 'electron'),
      ),
    )
    expect(external.size).toBeGreaterThan(0) // electron-store, for the app's own preferences
    expect(Object.keys(pkg.dependencies).sort()).toEqual([...external].sort())
    // The deb's Maintainer field: electron-builder refuses to build a deb without an author's email.
    expect(pkg.author?.email).toMatch(/^[^@\s]+@[^@\s]+$/)
  })

  it('sets the fuses: only the app archive, its integrity checked, run-as-Node kept for the auth-pool command', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: true,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    })
  })
})
