import Conf from 'conf'
import { mkdirSync } from 'node:fs'
import { openConfBackend, type DocumentBackend } from './backend'

/** The state file through conf: used wherever Electron is absent (CLI, tests, benchmarks). */
export function createConfBackend(home: string): DocumentBackend {
  return openConfBackend(home, (options) => {
    mkdirSync(home, { recursive: true, mode: 0o700 })
    return new Conf<Record<string, unknown>>(options)
  })
}
