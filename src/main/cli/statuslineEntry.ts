import { readFileSync } from 'node:fs'
import { defaultHome } from '../paths'
import { logProblem, runStatusline } from './statusline'

// Entry of `auth-pool statusline` (bin/auth-pool loads it directly): Claude Code runs it on every render
// of its status line, so it loads only what it uses (no zod, no engine, no store).
const now = Date.now()
const home = defaultHome(process.env)
let stdin = ''
try {
  stdin = readFileSync(0, 'utf8')
} catch (error) {
  logProblem(home, now, `could not read the status line input (${(error as Error).message})`)
}
runStatusline({ env: process.env, home, stdin, now, stdout: (text) => process.stdout.write(text) })
