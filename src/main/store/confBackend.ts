import Conf from 'conf'
import { mkdirSync } from 'node:fs'
import { backendFromConf, confOptions, type DocumentBackend } from './backend'
import { StoreIoError } from './errors'

/** The state file through conf: used wherever Electron is absent (CLI, tests, benchmarks). */
export function createConfBackend(home: string): DocumentBackend {
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 })
    return backendFromConf(new Conf<Record<string, unknown>>(confOptions(home)))
  } catch (error) {
    throw StoreIoError.from(error, home) // conf reads the file as it starts
  }
}
