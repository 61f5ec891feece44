import type { Api } from '../shared/ipc/api'

declare global {
  interface Window {
    readonly api: Api
  }
}
export {}
