// `node --import ./register.mjs out/main/index.js`: the built composition root with the stand-in below in
// place of the `electron` module (electron-store, which imports it too, gets the same).
import { registerHooks } from 'node:module'

const standIn = new URL('./electron.mjs', import.meta.url).href
registerHooks({
  resolve: (specifier, context, next) =>
    specifier === 'electron' ? { url: standIn, shortCircuit: true } : next(specifier, context),
})
