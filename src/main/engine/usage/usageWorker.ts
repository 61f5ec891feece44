// A worker thread that builds one account's usage index at a time (a cold ingest), so a first start
// with several accounts uses both cores. Built to out/main/usageWorker.js; see UsageService.prime.
import { parentPort } from 'node:worker_threads'
import { buildIndex, type BuildRequest } from './buildIndex'

parentPort?.on('message', (request: BuildRequest) => {
  try {
    buildIndex(request)
    parentPort!.postMessage({ ok: true })
  } catch (error) {
    // The main thread builds this account itself, in process, as it would without a worker.
    parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) })
  }
})
