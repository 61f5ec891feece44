import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { CLI, runCli } from './helpers/processes'
import { tempDir } from './helpers/tempDir'
import { writeLogin } from './helpers/accounts'

beforeAll(() => {
  if (!existsSync(join(CLI, '..', '..', 'out', 'main', 'cli.js')))
    throw new Error('run `npm run build` before the CLI tests')
})

function setup() {
  const root = tempDir()
  const env = { AUTH_POOL_HOME: join(root, 'home'), HOME: root }
  return { root, env, cli: (...args: string[]) => runCli(args, env) }
}

describe('auth-pool command line', () => {
  it('is an executable with a node shebang', () => {
    expect(statSync(CLI).mode & 0o111).not.toBe(0)
  })

  it('adds accounts, allocates with the documented JSON shape, and releases', async () => {
    const { root, cli } = setup()
    mkdirSync(join(root, 'valid-path', '.claude-config'), { recursive: true })
    writeLogin(join(root, 'valid-path', '.claude-config'))
    const added = await cli(
      'accounts',
      'add',
      '--name',
      'work',
      '--config-dir',
      '~/valid-path/.claude-config',
      '--plan',
      'max5',
      '--json',
    )
    expect(added.stderr).toBe('')
    expect(added.code).toBe(0)
    const account = JSON.parse(added.stdout)
    expect(account).toMatchObject({ name: 'work', plan: 'max5', configDir: join(root, 'valid-path', '.claude-config') })

    const allocated = await cli('allocate', '--cwd', root, '--json')
    expect(allocated.code).toBe(0)
    const allocation = JSON.parse(allocated.stdout)
    expect(allocation).toMatchObject({
      session: { id: expect.any(String), accountId: account.id },
      account: { id: account.id, name: 'work', configDir: account.configDir },
    })

    const human = await cli('sessions')
    expect(human.stdout).toContain(allocation.session.id)
    expect((await cli('release', allocation.session.id)).stdout).toMatch(/ended/)
    const status = JSON.parse((await cli('status', '--json')).stdout)
    expect(status.accounts[0].activeSessions).toBe(0)
    expect((await cli('accounts', 'list')).stdout).toMatch(/^work \(max5\) — 5h 0% · week 0%/)
  })

  it('exits 2 with a message naming the flag for invalid input, and 2 for bad usage', async () => {
    const { root, cli } = setup()
    const missing = await cli('accounts', 'add', '--name', 'x', '--config-dir', join(root, 'nope'), '--json')
    expect(missing.code).toBe(2)
    expect(JSON.parse(missing.stdout).error).toMatchObject({ code: 'VALIDATION', issues: [{ path: ['configDir'] }] })
    expect(missing.stderr).toBe(
      `auth-pool: --config-dir: ${join(root, 'nope')} does not exist; add --create to make it\n`,
    )
    const zero = await cli('accounts', 'add', '--name', 'x', '--config-dir', root, '--block-budget-usd', '0')
    expect(zero.code).toBe(2)
    expect(zero.stderr).toMatch(/--block-budget-usd must be an amount in US dollars from 0.01 to 1000000 .*got "0"/)
    const unknownFlag = await cli('allocate', '--acount', 'x')
    expect(unknownFlag.code).toBe(2)
    expect(unknownFlag.stderr).toMatch(/unknown option --acount \(did you mean --account\?\)/)
    const notANumber = await cli('allocate', '--pid', 'abc')
    expect(notANumber.code).toBe(2)
    const unknownCommand = await cli('frobnicate')
    expect(unknownCommand.code).toBe(2)
    const ghost = await cli('allocate', '--account', 'ghost')
    expect(ghost.code).toBe(2)
    expect(ghost.stderr).not.toMatch(/at .*\.js:\d+/) // a message, not a stack trace
  })

  it('tells a user with no accounts yet how to add one, wherever they look first', async () => {
    const { cli } = setup()
    for (const command of ['status', 'usage', 'accounts list']) {
      const result = await cli(...command.split(' '))
      expect(result.code, command).toBe(0)
      expect(result.stdout, command).toMatch(
        /^no accounts yet; add one with `auth-pool accounts add --name NAME --config-dir DIR`/,
      )
    }
  })

  it('says what is in the way when its state folder is a file, or its state file a folder', async () => {
    const { root, cli } = setup()
    writeFileSync(join(root, 'home'), 'not a folder')
    const file = await cli('status', '--json')
    expect(file.code).toBe(1)
    expect(JSON.parse(file.stdout).error).toMatchObject({ code: 'STORE_IO' })
    expect(file.stderr).toMatch(/could not use the state folder .*home \(EEXIST.*something else is in the way/)
    rmSync(join(root, 'home'))
    mkdirSync(join(root, 'home', 'state.json'), { recursive: true })
    const folder = await cli('status')
    expect(folder.code).toBe(1)
    expect(folder.stderr).toMatch(/could not use the state folder .*home \(EISDIR.*something else is in the way/)
  })

  it('exits 1 when the pool is exhausted, with the reason', async () => {
    const { root, cli } = setup()
    await cli('accounts', 'add', '--name', 'off', '--config-dir', root, '--disable')
    const result = await cli('allocate', '--json')
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout).error.code).toBe('POOL_EXHAUSTED')
    expect(result.stderr).toMatch(/off: disabled/)
  })

  it('moves a corrupt state file aside, restores the last good generation and tells the user', async () => {
    const { root, env, cli } = setup()
    mkdirSync(join(root, 'lost'))
    await cli('accounts', 'add', '--name', 'keep', '--config-dir', root)
    await cli('accounts', 'add', '--name', 'lost', '--config-dir', join(root, 'lost'))
    writeFileSync(join(env.AUTH_POOL_HOME, 'state.json'), '{"version":1,"revision":')
    const result = await cli('accounts', 'list')
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(
      /state file was unusable \(not valid JSON .*\); it was moved to .*state\.json\.corrupt-.* and the last good generation \(.*state\.json\.bak\.1\) restored/,
    )
    expect(result.stdout).toMatch(/^keep /)
    expect(result.stdout).not.toMatch(/lost/) // the one commit lost: the one the corrupt file held
    expect(readdirSync(env.AUTH_POOL_HOME).some((n) => n.startsWith('state.json.corrupt-'))).toBe(true)
  })
})
