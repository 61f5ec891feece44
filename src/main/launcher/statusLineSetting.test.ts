import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../../test/helpers/tempDir'
import { previousStatusLineCommand } from './statusLineRecord'
import { installStatusLine, removeStatusLine, statusLineInstalled } from './statusLineSetting'

const COMMAND = "'/opt/auth pool/bin/auth-pool' statusline"

function account(settings: string | null) {
  const home = tempDir('home-')
  const configDir = tempDir('acct-')
  const path = join(configDir, 'settings.json')
  if (settings !== null) writeFileSync(path, settings, { mode: 0o640 })
  return { home, configDir, path }
}

const FILES: Record<string, string> = {
  'a status line of its own among unknown keys': `{
  "model": "opus",
  "statusLine": {
    "type": "command",
    "command": "~/.claude/my-line.sh",
    "padding": 1
  },
  "futureKey": { "nested": ["x", {"y": "}{,\\"statusLine\\""}] },
  "env": {"A": "1"}
}
`,
  'status line first, tabs, no final newline': '{\t"statusLine":{"type":"command","command":"echo \\"hi\\""},\t"x":1}',
  'status line last':
    '{\r\n    "permissions": {"allow": []},\r\n    "statusLine": {"type": "command", "command": "date"}\r\n}\r\n',
  'status line alone': '{ "statusLine": { "type": "command", "command": "date" } }',
  'no status line': '{\n    "theme": "dark",\n    "hooks": {"Stop": []}\n}\n',
  'an empty object': '{}',
  'an empty object over lines': '{\n}\n',
}

describe("Auth Pool's status line in an account's settings.json", () => {
  for (const [what, text] of Object.entries(FILES))
    it(`on and off leave ${what} byte for byte`, () => {
      const { home, configDir, path } = account(text)
      expect(installStatusLine(home, configDir, COMMAND)).toBe(true)
      const installed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
      expect(installed.statusLine).toEqual({ type: 'command', command: COMMAND, padding: 0 })
      // Every other member is as it was.
      const before = JSON.parse(text) as Record<string, unknown>
      delete before.statusLine
      delete installed.statusLine
      expect(installed).toEqual(before)
      expect(statusLineInstalled(home, configDir)).toBe(true)
      expect(statSync(path).mode & 0o777).toBe(0o640)
      expect(installStatusLine(home, configDir, COMMAND)).toBe(false) // already on: nothing changes
      expect(removeStatusLine(home, configDir)).toBe(true)
      expect(readFileSync(path, 'utf8')).toBe(text)
      expect(statusLineInstalled(home, configDir)).toBe(false)
      expect(removeStatusLine(home, configDir)).toBe(false)
    })

  it("keeps the user's own command to run meanwhile, and puts it back among changes made since", () => {
    const { home, configDir, path } = account(FILES['a status line of its own among unknown keys']!)
    installStatusLine(home, configDir, COMMAND)
    expect(previousStatusLineCommand(home, configDir)).toBe('~/.claude/my-line.sh')
    // Claude Code (or the user) changes another setting while Auth Pool's line is on.
    writeFileSync(path, readFileSync(path, 'utf8').replace('"model": "opus"', '"model": "sonnet"'))
    removeStatusLine(home, configDir)
    expect(readFileSync(path, 'utf8')).toBe(
      FILES['a status line of its own among unknown keys']!.replace('"model": "opus"', '"model": "sonnet"'),
    )
  })

  it('creates settings.json when there is none, and removes it again', () => {
    const { home, configDir, path } = account(null)
    installStatusLine(home, configDir, COMMAND)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      statusLine: { type: 'command', command: COMMAND, padding: 0 },
    })
    expect(previousStatusLineCommand(home, configDir)).toBeUndefined()
    removeStatusLine(home, configDir)
    expect(existsSync(path)).toBe(false)
  })

  it('leaves a status line the user put back alone, and forgets its own', () => {
    const { home, configDir, path } = account(FILES['no status line']!)
    installStatusLine(home, configDir, COMMAND)
    const theirs = '{"statusLine": {"type": "command", "command": "theirs"}}'
    writeFileSync(path, theirs)
    expect(statusLineInstalled(home, configDir)).toBe(false)
    expect(removeStatusLine(home, configDir)).toBe(true)
    expect(readFileSync(path, 'utf8')).toBe(theirs)
  })

  it('refuses a settings.json that is not JSON, naming it, and changes nothing', () => {
    const broken = '{ "model": "opus", }'
    const { home, configDir, path } = account(broken)
    expect(() => installStatusLine(home, configDir, COMMAND)).toThrow(
      new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON .*nothing was changed`),
    )
    expect(readFileSync(path, 'utf8')).toBe(broken)
    expect(statusLineInstalled(home, configDir)).toBe(false)
  })
})
