// The command line as people expect one: help, version, suggestions, completion, and values refused
// with a message that names the flag and what was typed.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI, ROOT, runCli } from './helpers/processes'
import { tempDir } from './helpers/tempDir'
import { writeLogin } from './helpers/accounts'

function setup() {
  const root = tempDir()
  const env = { AUTH_POOL_HOME: join(root, 'home'), HOME: root }
  mkdirSync(join(root, 'a'))
  writeLogin(join(root, 'a'))
  return { root, env, cli: (...args: string[]) => runCli(args, env) }
}

const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }

describe('conventions', () => {
  it('answers --version, --help, a command’s --help and a group’s --help with exit 0', async () => {
    const { cli } = setup()
    expect(await cli('--version')).toMatchObject({ code: 0, stdout: `${version}\n` })
    const help = await cli('--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^auth-pool \d+\.\d+\.\d+ — /)
    for (const name of ['run', 'env', 'status', 'usage', 'accounts add', 'accounts set', 'login', 'completion'])
      expect(help.stdout).toMatch(new RegExp(`\\n  ${name} +\\S`))
    const add = await cli('accounts', 'add', '--help')
    expect(add.code).toBe(0)
    expect(add.stdout).toMatch(/^usage: auth-pool accounts add --name NAME --config-dir DIR \[options\]/)
    expect(add.stdout).toMatch(/\n {2}--create +make the config directory/)
    expect((await cli('run', '--help')).stdout).toMatch(/\[-- claude arguments…\]/)
    const group = await cli('accounts', '--help')
    expect(group.code).toBe(0)
    expect(group.stdout).toMatch(/^usage: auth-pool accounts <add\|list\|set\|remove>/)
    expect((await cli('help', 'status')).stdout).toMatch(/^usage: auth-pool status/)
    // A help request never touches the state.
    expect(existsSync(setup().env.AUTH_POOL_HOME)).toBe(false)
  })

  it('suggests the nearest command or flag for a typo, exit 2', async () => {
    const { cli } = setup()
    const command = await cli('staus')
    expect(command.code).toBe(2)
    expect(command.stderr).toMatch(/unknown command "staus" — did you mean "auth-pool status"\?/)
    const sub = await cli('accounts', 'lst')
    expect(sub.stderr).toMatch(/did you mean "auth-pool accounts list"\?/)
    const flag = await cli('usage', '--acount', 'x')
    expect(flag.stderr).toMatch(/unknown option --acount \(did you mean --account\?\)/)
    const bare = await cli('accounts')
    expect(bare.code).toBe(2)
    expect(bare.stderr).toMatch(/auth-pool accounts needs a command/)
  })

  it('names the flag and what was typed when a value is refused', async () => {
    const { root, cli } = setup()
    const refused: [string[], RegExp][] = [
      [['accounts', 'add', '--name', 'x'], /--config-dir is required/],
      [
        ['accounts', 'add', '--name', 'x', '--config-dir', join(root, 'a'), '--priority', '1.5'],
        /--priority must be a whole number from -100 to 100, got "1.5"/,
      ],
      [['accounts', 'add', '--name', 'x', '--config-dir', join(root, 'a'), '--priority', '0x10'], /got "0x10"/],
      [
        ['accounts', 'add', '--name', 'x', '--config-dir', join(root, 'a'), '--block-budget-usd', '1e-300'],
        /--block-budget-usd must be an amount in US dollars/,
      ],
      [
        ['accounts', 'add', '--name', 'x', '--config-dir', join(root, 'a'), '--plan', 'max7'],
        /--plan must be one of pro, max5, max20, custom, got "max7"/,
      ],
      [['accounts', 'add', '--name', 'auto', '--config-dir', join(root, 'a')], /--name: "auto" is reserved/],
      [
        ['accounts', 'add', '--name', '5b0c6a52-2f8f-4a43-9a57-3c9a2c7a9d11', '--config-dir', join(root, 'a')],
        /--name: must not look like an account id/,
      ],
      [['allocate', '--cwd', join(root, 'missing')], /--cwd .*missing does not exist/],
      [['allocate', '--cwd', 'x'.repeat(100_000)], /--cwd must be a path \(at most 4096 characters/],
      [['allocate', '--cwd', 'a\nb'], /no line breaks/],
      [['allocate', '--pid', 'abc'], /--pid must be a whole number/],
      [['release', '__proto__'], /SESSION_ID must be a session id \(see auth-pool sessions\), got "__proto__"/],
      [['env', '--shell', 'tcsh'], /--shell must be one of posix, sh, bash, zsh, fish, powershell/],
      [['status', 'extra'], /unexpected argument "extra"/],
    ]
    for (const since of ['1', '0', '12', 'yesterday'])
      refused.push([['usage', '--since', since], /--since must be a date \(2026-12-01\) or a date and time/])
    refused.push(
      [['usage', '--since=-1'], /--since must be a date/],
      [['usage', '--since', '-1'], /--since needs a value/],
    )
    writeFileSync(join(root, 'file'), '')
    refused.push([['allocate', '--cwd', join(root, 'file')], /--cwd .*file is not a folder/])
    for (const [args, message] of refused) {
      const result = await cli(...args)
      expect(result.code, args.join(' ').slice(0, 80)).toBe(2)
      expect(result.stderr, args.join(' ').slice(0, 80)).toMatch(message)
    }
    expect(JSON.parse((await cli('accounts', 'list', '--json')).stdout)).toEqual([]) // nothing was added
  })

  it('takes dates and times for --since, and counts in words ("1 block")', async () => {
    const { root, cli } = setup()
    expect((await cli('accounts', 'add', '--name', 'a', '--config-dir', join(root, 'a'))).code).toBe(0)
    for (const since of ['2026-12-01', '2026-12-01T09:00', '2026-12-01T09:00:00Z'])
      expect((await cli('usage', '--since', since)).code, since).toBe(0)
    expect((await cli('usage')).stdout).toMatch(/0 blocks, 0 transcript files/)
    expect((await cli('reconcile')).stdout).toBe('ended 0 sessions, moved 0 folders, pruned 0 old sessions\n')
  })
})

describe('accounts', () => {
  it('removes a folder --create made when the account is not added after all, and says --create when one is missing', async () => {
    const { root, cli } = setup()
    expect((await cli('accounts', 'add', '--name', 'a', '--config-dir', join(root, 'a'))).code).toBe(0)
    const duplicate = await cli('accounts', 'add', '--name', 'A', '--config-dir', join(root, 'made'), '--create')
    expect(duplicate.stderr).toMatch(/an account named "a" already exists/)
    const custom = await cli(
      'accounts',
      'add',
      '--name',
      'c',
      '--config-dir',
      join(root, 'made'),
      '--create',
      '--plan',
      'custom',
    )
    expect(custom.stderr).toMatch(/--block-budget-usd: a custom plan needs a 5-hour budget; --weekly-budget-usd:/)
    expect(readdirSync(root).sort()).toEqual(['a', 'home'])
    const set = await cli('accounts', 'set', 'a', '--config-dir', join(root, 'moved'))
    expect(set.stderr).toMatch(/--config-dir: .*moved does not exist; add --create to make it/)
    expect((await cli('accounts', 'set', 'a', '--config-dir', join(root, 'moved'), '--create')).code).toBe(0)
    expect(JSON.parse((await cli('accounts', 'list', '--json')).stdout)[0].configDir).toBe(join(root, 'moved'))
  })

  it('says which account new sessions go to when one is picked, and warns when it is unavailable', async () => {
    const { root, cli } = setup()
    mkdirSync(join(root, 'b'))
    writeLogin(join(root, 'b'))
    await cli('accounts', 'add', '--name', 'a', '--config-dir', join(root, 'a'))
    await cli('accounts', 'add', '--name', 'b', '--config-dir', join(root, 'b'))
    expect((await cli('status')).stdout).toMatch(/auto picks a/)
    await cli('prefer', 'b')
    expect((await cli('status')).stdout).toMatch(/^2 of 2 accounts available · new sessions go to b \(picked\)\n/)
    await cli('accounts', 'set', 'b', '--disable')
    await cli('accounts', 'set', 'b', '--enable')
    await cli('accounts', 'set', 'a', '--disable')
    const prefer = await cli('prefer', 'a')
    expect(prefer.stderr).toMatch(/a is disabled; until then new sessions go to the best available account/)
  })
})

describe('env', () => {
  it('prints a statement that makes eval fail, and exits 1, when no account is available', async () => {
    const { root, cli, env } = setup()
    await cli('accounts', 'add', '--name', 'off', '--config-dir', join(root, 'a'), '--disable')
    const result = await cli('env')
    expect(result).toMatchObject({ code: 1, stdout: 'false\n' })
    expect(result.stderr).toMatch(/no account is available \(off: disabled\)/)
    const shell = spawnSync('bash', ['-c', `eval "$('${process.execPath}' '${CLI}' env 2>/dev/null)" && echo set`], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    })
    expect(shell.status).toBe(1)
    expect(shell.stdout).toBe('')
  })

  it('sets CLAUDE_CONFIG_DIR in bash, zsh and fish alike', async () => {
    const { root, cli, env } = setup()
    const dir = join(root, "it's $HOME")
    mkdirSync(dir)
    writeLogin(dir)
    expect((await cli('accounts', 'add', '--name', 'a', '--config-dir', dir)).code).toBe(0)
    for (const [shell, flag] of [
      ['bash', 'bash'],
      ['zsh', 'zsh'],
      ['fish', 'fish'],
    ] as const) {
      if (spawnSync('which', [shell]).status !== 0) {
        console.log(`env in ${shell}: skipped, ${shell} is not installed (.ci/run installs it)`)
        continue
      }
      const script =
        shell === 'fish'
          ? `eval ('${process.execPath}' '${CLI}' env --shell fish); printf %s $CLAUDE_CONFIG_DIR`
          : `eval "$('${process.execPath}' '${CLI}' env --shell ${flag})"; printf %s "$CLAUDE_CONFIG_DIR"`
      const run = spawnSync(shell, ['-c', script], { env: { ...process.env, ...env }, encoding: 'utf8' })
      expect(run.stdout, `${shell}: ${run.stderr}`).toBe(dir)
    }
  })
})

describe('completion', () => {
  /** What the shell offers for the words typed so far. */
  function completions(shell: 'bash' | 'zsh' | 'fish', line: string, env: NodeJS.ProcessEnv): string[] {
    const script = spawnSync(process.execPath, [CLI, 'completion', shell], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    })
    expect(script.status, script.stderr).toBe(0)
    const file = join(tempDir(), `completion.${shell}`)
    writeFileSync(file, script.stdout)
    const words = line.split(' ')
    const setWords = `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}`
    const run =
      shell === 'fish'
        ? spawnSync('fish', ['-c', `source ${file}; complete -C '${line}'`], { encoding: 'utf8' })
        : spawnSync(
            shell,
            shell === 'zsh'
              ? ['-fc', `source ${file}; setopt KSH_ARRAYS; ${setWords}; _auth_pool; print -r -- "\${COMPREPLY[*]}"`]
              : ['-c', `source ${file}; ${setWords}; _auth_pool; echo "\${COMPREPLY[*]}"`],
            {
              encoding: 'utf8',
            },
          )
    expect(run.status, run.stderr).toBe(0)
    if (shell === 'fish')
      return run.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[0]!)
    // zsh matches what was typed itself (compadd), after the function offers its candidates.
    const offered = run.stdout.trim().split(' ')
    return shell === 'zsh' ? offered.filter((w) => w.startsWith(words.at(-1)!)) : offered
  }

  for (const shell of ['bash', 'zsh', 'fish'] as const)
    it(`completes commands, subcommands, flags and flag values in ${shell}`, () => {
      if (spawnSync('which', [shell]).status !== 0) {
        console.log(`completion in ${shell}: skipped, ${shell} is not installed (.ci/run installs it)`)
        return
      }
      const { env } = setup()
      expect(completions(shell, 'auth-pool acc', env)).toEqual(['accounts'])
      expect(completions(shell, 'auth-pool accounts ', env)).toEqual(
        expect.arrayContaining(['add', 'list', 'set', 'remove']),
      )
      expect(completions(shell, 'auth-pool accounts add --pl', env)).toEqual(['--plan'])
      expect(completions(shell, 'auth-pool env --shell f', env)).toEqual(['fish'])
    })

  it('refuses a shell it has no script for', async () => {
    const { cli } = setup()
    const result = await cli('completion', 'tcsh')
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/SHELL must be one of bash, zsh, fish/)
  })
})

describe('login', () => {
  it('needs a terminal: without one it says so instead of waiting for a code forever', async () => {
    const { root, cli } = setup()
    await cli('accounts', 'add', '--name', 'a', '--config-dir', join(root, 'a'))
    const result = await cli('login', 'a')
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/auth-pool login needs a terminal/)
  })
})
