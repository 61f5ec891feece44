import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../shared/errors'
import { tempDir } from '../../../test/helpers/tempDir'
import { resolveConfigDir } from './configDir'
import { nodeFileSystem } from '../system/nodePorts'
import type { FileSystem } from './ports'

function fsWithHome(home: string, cwd = home, uid: number | null = nodeFileSystem.uid()): FileSystem {
  return { ...nodeFileSystem, homedir: () => home, cwd: () => cwd, uid: () => uid }
}

function issueOf(fn: () => unknown): { path: readonly (string | number)[]; message: string } {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError)
    return (error as ValidationError).issues[0]!
  }
  throw new Error('expected a ValidationError')
}

describe('config directory validation', () => {
  it('expands ~/valid-path/.claude-config (the seed rejected it)', () => {
    const home = tempDir()
    mkdirSync(join(home, 'valid-path', '.claude-config'), { recursive: true })
    expect(resolveConfigDir('~/valid-path/.claude-config', fsWithHome(home)).path).toBe(
      join(home, 'valid-path', '.claude-config'),
    )
    expect(resolveConfigDir('~', fsWithHome(home)).path).toBe(home)
  })

  it('makes relative paths absolute against the working directory', () => {
    const home = tempDir()
    mkdirSync(join(home, 'work', 'acct'), { recursive: true })
    expect(resolveConfigDir('acct', fsWithHome(home, join(home, 'work'))).path).toBe(join(home, 'work', 'acct'))
    expect(resolveConfigDir('./acct/', fsWithHome(home, join(home, 'work'))).path).toBe(join(home, 'work', 'acct'))
  })

  it('keeps a symlink as spelled (Claude Code names its Keychain entry by that string), with where it leads', () => {
    const home = tempDir()
    mkdirSync(join(home, 'real'))
    symlinkSync(join(home, 'real'), join(home, 'link'))
    const resolved = resolveConfigDir(join(home, 'link'), fsWithHome(home))
    expect(resolved.path).toBe(join(home, 'link'))
    expect(resolved.real).toBe(join(home, 'real'))
  })

  it('refuses ".." segments, another user\'s ~, missing paths, files and empty input with the field path', () => {
    const home = tempDir()
    mkdirSync(join(home, 'a'))
    writeFileSync(join(home, 'file'), 'x')
    const fs = fsWithHome(home)
    expect(issueOf(() => resolveConfigDir(`${home}/a/../a`, fs))).toEqual({
      path: ['configDir'],
      message: expect.stringMatching(/"\.\."/),
    })
    expect(issueOf(() => resolveConfigDir('~bob/.claude', fs)).message).toMatch(/another user's home/)
    expect(issueOf(() => resolveConfigDir(join(home, 'missing'), fs)).message).toMatch(/does not exist/)
    expect(issueOf(() => resolveConfigDir(join(home, 'file'), fs)).message).toMatch(/not a directory/)
    expect(issueOf(() => resolveConfigDir('   ', fs)).message).toMatch(/empty/)
    expect(issueOf(() => resolveConfigDir(join(home, 'file', 'below'), fs)).message).toMatch(/does not exist/)
  })

  it('refuses a directory owned by someone else', () => {
    const home = tempDir()
    const realUid = nodeFileSystem.uid()!
    expect(issueOf(() => resolveConfigDir(home, fsWithHome(home, home, realUid + 4242))).message).toMatch(
      /belongs to another user/,
    )
  })

  it('creates a missing directory with mode 0700 when asked', async () => {
    const home = tempDir()
    const dir = resolveConfigDir('~/new/.claude-b', fsWithHome(home), { create: true }).path
    const { statSync } = await import('node:fs')
    expect(statSync(dir).mode & 0o777).toBe(0o700)
  })
})
