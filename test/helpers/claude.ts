import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { collect, ROOT, type Finished } from './processes'

/** The real Claude Code CLI from the pinned devDependency (its native binary ships in an npm package). */
export const CLAUDE = join(ROOT, 'node_modules', '.bin', 'claude')

/** Runs `claude` against a fake API with a dummy key (tests only), in `cwd`, on the given config dir. */
export function runClaude(
  args: readonly string[],
  options: { configDir: string; baseUrl: string; cwd: string; env?: NodeJS.ProcessEnv },
): Promise<Finished> {
  return collect(
    spawn(CLAUDE, args, {
      cwd: options.cwd,
      env: {
        ...process.env,
        CLAUDE_CONFIG_DIR: options.configDir,
        ANTHROPIC_BASE_URL: options.baseUrl,
        ANTHROPIC_API_KEY: 'sk-ant-test-dummy',
        DISABLE_AUTOUPDATER: '1',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )
}
