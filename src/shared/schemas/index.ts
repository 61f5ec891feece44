export * from './account'
export * from './session'
export * from './settings'
export * from './state'
