// A worker thread that builds usage indexes during a cold start, claiming accounts from a queue it
// shares with the main thread, so a first start with several accounts uses every core. Built to
// out/main/usageWorker.js; see UsageService.prime.
import { parentPort } from 'node:worker_threads'
import { buildClaimed, type BuildRequest } from './buildIndex'

parentPort?.on('message', (request: BuildRequest) => {
  parentPort!.postMessage({ built: buildClaimed(request) })
})
