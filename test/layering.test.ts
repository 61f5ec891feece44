import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
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

describe('layering', () => {
  it('keeps Electron out of the engine, the store, the CLI and src/shared', () => {
    const offenders = ['src/main/engine', 'src/main/store', 'src/main/cli', 'src/shared']
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
