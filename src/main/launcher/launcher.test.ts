import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../../test/helpers/tempDir'
import { claudeIntent } from './claudeArgs'
import { findExecutable, resolveClaude } from './executable'
import { envLine } from './run'
import { projectSlug } from './sessionLocator'
import { openTerminal, planTerminal, splitCommandLine } from './terminal'

describe('claude command lines', () => {
  it('recognises resume and continue in their spellings', () => {
    const conversation = true
    expect(claudeIntent(['--resume', 'abc'])).toEqual({ resume: 'abc', continue: false, conversation })
    expect(claudeIntent(['-r', 'abc', '-p', 'x'])).toEqual({ resume: 'abc', continue: false, conversation })
    expect(claudeIntent(['--resume=abc'])).toEqual({ resume: 'abc', continue: false, conversation })
    expect(claudeIntent(['--resume', '-p'])).toEqual({ resume: null, continue: false, conversation })
    expect(claudeIntent(['-c'])).toEqual({ resume: null, continue: true, conversation })
    expect(claudeIntent(['-p', '--', '--continue'])).toEqual({ resume: null, continue: false, conversation })
  })

  it('tells a conversation from a subcommand or a question about Claude Code itself', () => {
    for (const args of [
      [],
      ['fix the tests'],
      ['-p', 'hi'],
      ['--model', 'opus'],
      ['-p', '--', '--version'],
      ['mcp-thoughts'],
    ])
      expect(claudeIntent(args).conversation, args.join(' ')).toBe(true)
    for (const args of [
      ['--version'],
      ['-v'],
      ['--help'],
      ['-p', '-h'],
      ['mcp', 'list'],
      ['doctor'],
      ['update'],
      ['config', 'get'],
      ['auth', 'login'],
    ])
      expect(claudeIntent(args).conversation, args.join(' ')).toBe(false)
  })

  it("names a project's folder the way Claude Code does", () => {
    expect(projectSlug('/tmp/work-9c4XL7')).toBe('-tmp-work-9c4XL7')
    expect(projectSlug('/home/dev/my_work.dir')).toBe('-home-dev-my-work-dir')
  })
})

describe('env lines', () => {
  const tricky = "/home/dev/it's here/$HOME/`x`"
  it('quotes for bash so eval gives back the exact path', () => {
    const line = envLine(tricky, 'posix')
    const result = spawnSync('bash', ['-c', `${line}; printf %s "$CLAUDE_CONFIG_DIR"`])
    expect(result.stdout.toString()).toBe(tricky)
  })
  it('has fish and PowerShell variants', () => {
    expect(envLine('/a/b', 'fish')).toBe("set -gx CLAUDE_CONFIG_DIR '/a/b'")
    expect(envLine("C:\\it's", 'powershell')).toBe("$env:CLAUDE_CONFIG_DIR = 'C:\\it''s'")
  })
})

describe('finding executables', () => {
  it('searches PATH, honours the setting and AUTH_POOL_CLAUDE, and says what is missing', () => {
    const dir = tempDir()
    const fake = join(dir, 'claude')
    writeFileSync(fake, '#!/bin/sh\n')
    chmodSync(fake, 0o755)
    expect(findExecutable('claude', { PATH: `/nonexistent:${dir}` })).toBe(fake)
    expect(resolveClaude(null, { PATH: dir })).toEqual({ path: fake })
    expect(resolveClaude(null, { PATH: '/nonexistent', AUTH_POOL_CLAUDE: fake })).toEqual({ path: fake })
    expect(resolveClaude(join(dir, 'nope'), { PATH: dir })).toEqual({
      error: `${join(dir, 'nope')} (from the claudePath setting) is not an executable file`,
    })
    expect(resolveClaude(null, { PATH: '/nonexistent' })).toMatchObject({
      error: expect.stringMatching(/cannot find `claude` on PATH/),
    })
  })
})

describe('terminals', () => {
  const argv = ['env', 'ELECTRON_RUN_AS_NODE=1', '/opt/app/electron', '/opt/app/cli.js', 'run', '--account', 'work']
  const only = (names: string[]) => (name: string) => (names.includes(name) ? `/usr/bin/${name}` : undefined)
  /** Folder names that break a command string: shells, cmd.exe and wt each read some of them. */
  const HOSTILE = [
    'C:\\src\\repo&calc',
    'C:\\src\\a;calc',
    "/work/it's $(touch x) `y`",
    '/work/a"b',
    '/work/%PATH%',
    '/work/line\nbreak',
  ]

  it('tries $TERMINAL, x-terminal-emulator, gnome-terminal, konsole, xterm in that order on Linux', () => {
    const plan = (names: string[], env: NodeJS.ProcessEnv = {}) =>
      planTerminal(argv, '/work/my repo', { setting: null, env, platform: 'linux', find: only(names) })
    expect(plan(['xterm', 'konsole', 'alacritty'], { TERMINAL: 'alacritty' })).toEqual({
      command: '/usr/bin/alacritty',
      args: ['-e', ...argv],
      cwd: '/work/my repo',
    })
    expect(plan(['xterm', 'gnome-terminal'])).toEqual({
      command: '/usr/bin/gnome-terminal',
      args: ['--working-directory=/work/my repo', '--', ...argv],
      cwd: '/work/my repo',
    })
    expect(plan(['xterm', 'konsole'])).toMatchObject({
      command: '/usr/bin/konsole',
      args: ['--workdir', '/work/my repo', '-e', ...argv],
    })
    expect(plan(['xterm'])).toMatchObject({ command: '/usr/bin/xterm', args: ['-e', ...argv] })
    expect(plan([])).toEqual({ error: expect.stringMatching(/no terminal found .* choose one in Settings/) })
  })

  it('never puts the folder in a command line a shell or terminal parses, on any platform', () => {
    for (const folder of HOSTILE) {
      const plans = {
        linux: planTerminal(argv, folder, { setting: null, env: {}, platform: 'linux', find: only(['xterm']) }),
        known: planTerminal(argv, folder, { setting: 'kitty', env: {}, platform: 'linux', find: only(['kitty']) }),
        wt: planTerminal(argv, folder, { setting: null, env: {}, platform: 'win32', find: only(['wt']) }),
        cmd: planTerminal(argv, folder, {
          setting: null,
          env: { ComSpec: 'C:\\cmd.exe' },
          platform: 'win32',
          find: only([]),
        }),
      }
      for (const [name, plan] of Object.entries(plans)) {
        expect(plan, name).toMatchObject({ cwd: folder })
        // Only terminals that take the folder as one argument of their own get it; nobody gets it in a string.
        const withFolder = (plan as { args: string[] }).args.filter((a) => a.includes(folder))
        expect(withFolder, `${name}: ${folder}`).toEqual(name === 'known' ? [folder] : [])
      }
      expect(plans.wt).toMatchObject({ command: '/usr/bin/wt', args: ['-d', '.', ...argv] })
      expect(plans.cmd).toEqual({
        command: 'C:\\cmd.exe',
        args: ['/d', '/s', '/c', `start "" cmd /s /k "${argv.map((a) => `"${a}"`).join(' ')}"`],
        cwd: folder,
        verbatim: true,
      })
      // Terminal.app gets the folder inside a shell command: quoted for the shell, then for AppleScript.
      const mac = planTerminal(argv, folder, { setting: null, env: {}, platform: 'darwin', find: only([]) }) as {
        args: string[]
      }
      const script = JSON.parse(mac.args[1]!.slice('tell application "Terminal" to do script '.length)) as string
      const shell = spawnSync('sh', ['-c', script.replace(/ && .*$/s, ' && pwd'), 'sh'], { encoding: 'utf8' })
      expect(shell.stderr).toMatch(/can't cd|No such file|not found|cd:/) // the folder is not there: cd fails on its exact name
      expect(script.startsWith(`cd '${folder.replace(/'/g, `'\\''`)}' && `)).toBe(true)
    }
  })

  it('quotes the other words for cmd.exe and wt, and says so when one cannot be given to cmd.exe', () => {
    const odd = ['C:\\Users\\Tom&Jerry\\app.exe', 'C:\\a;b\\cli.js', 'run']
    expect(planTerminal(odd, 'C:\\w', { setting: null, env: {}, platform: 'win32', find: only(['wt']) })).toMatchObject(
      {
        args: ['-d', '.', 'C:\\Users\\Tom&Jerry\\app.exe', 'C:\\a\\;b\\cli.js', 'run'],
      },
    )
    expect(planTerminal(odd, 'C:\\w', { setting: null, env: {}, platform: 'win32', find: only([]) })).toMatchObject({
      args: ['/d', '/s', '/c', 'start "" cmd /s /k ""C:\\Users\\Tom&Jerry\\app.exe" "C:\\a;b\\cli.js" "run""'],
    })
    expect(
      planTerminal(['C:\\100%\\app.exe'], 'C:\\w', { setting: null, env: {}, platform: 'win32', find: only([]) }),
    ).toEqual({
      error: expect.stringMatching(/% or " character, which cmd.exe cannot be given safely; install Windows Terminal/),
    })
  })

  it('starts a known terminal by its id, or a template with {cwd} and {command}', () => {
    expect(splitCommandLine(`kitty --directory "{cwd}" -e {command}`)).toEqual([
      'kitty',
      '--directory',
      '{cwd}',
      '-e',
      '{command}',
    ])
    const plan = planTerminal(['a', 'b c'], '/w d', {
      setting: `kitty --directory '{cwd}' -e {command}`,
      env: {},
      platform: 'linux',
      find: only(['kitty']),
    })
    expect(plan).toEqual({ command: '/usr/bin/kitty', args: ['--directory', '/w d', '-e', 'a', 'b c'], cwd: '/w d' })
    expect(
      planTerminal(['a'], '/w', { setting: 'konsole', env: {}, platform: 'linux', find: only(['konsole']) }),
    ).toEqual({
      command: '/usr/bin/konsole',
      args: ['--workdir', '/w', '-e', 'a'],
      cwd: '/w',
    })
    expect(
      planTerminal(['a'], '/w', { setting: 'missing-term -e', env: {}, platform: 'linux', find: only([]) }),
    ).toMatchObject({
      error: expect.stringMatching(/missing-term/),
    })
  })

  it('really starts the planned terminal, which runs the command in the folder', async () => {
    const dir = tempDir()
    const record = join(dir, 'ran.txt')
    const terminal = join(dir, 'fake-terminal')
    // A stand-in terminal: drops its "-e", then runs the command, as xterm would.
    writeFileSync(terminal, `#!/bin/sh\nshift\n"$@" > "${record}"\n`)
    chmodSync(terminal, 0o755)
    const plan = planTerminal(['sh', '-c', 'pwd; echo "$1"', 'sh', 'launched'], dir, {
      setting: null,
      env: { TERMINAL: terminal },
      platform: 'linux',
    })
    if ('error' in plan) throw new Error(plan.error)
    await openTerminal(plan, process.env)
    // The terminal runs on by itself; what it wrote is complete once it is in the file.
    await expect
      .poll(() => existsSync(record) && readFileSync(record, 'utf8'), { timeout: 10_000 })
      .toBe(`${dir}\nlaunched\n`)
  })
})
