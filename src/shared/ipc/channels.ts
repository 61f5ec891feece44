/**
 * Channel names only (no zod), so the sandboxed preload stays tiny. Each is prefixed by its domain.
 * The contract in ./contract.ts gives every channel its input and output schema.
 */
export const CHANNELS = [
  'pool:status',
  'pool:allocate',
  'pool:setPreferred',
  'pool:metrics',
  'accounts:list',
  'accounts:add',
  'accounts:update',
  'accounts:remove',
  'accounts:identity',
  'accounts:login',
  'accounts:statusLine',
  'sessions:list',
  'sessions:end',
  'usage:get',
  'rules:list',
  'rules:save',
  'rules:delete',
  'notifications:list',
  'settings:get',
  'settings:update',
  'settings:chooseClaude',
  'settings:terminals',
  'settings:setTerminal',
  'launcher:launch',
  'desktop:status',
  'desktop:setStartAtLogin',
  'desktop:installCommand',
] as const
export type Channel = (typeof CHANNELS)[number]

/** Events pushed from main to the renderer. */
export const EVENTS = [
  'event:poolChanged',
  'event:usageChanged',
  'event:notificationsChanged',
  'event:navigate',
] as const
export type EventName = (typeof EVENTS)[number]
