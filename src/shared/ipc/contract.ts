import { z } from 'zod'
import { AccountInputSchema, AccountPatchSchema, AccountSchema, PathInputSchema } from '../schemas/account'
import {
  AccountViewSchema,
  AllocationSchema,
  LoginIdentitySchema,
  MetricsSchema,
  PoolStatusSchema,
} from '../schemas/pool'
import { NotificationRecordSchema, RuleSchema } from '../schemas/rules'
import { SessionSchema } from '../schemas/session'
import { SettingsSchema } from '../schemas/settings'
import { LoginStateSchema } from '../schemas/serverUsage'
import { DiagnosticsSchema, TokensSchema, UsageSummarySchema } from '../schemas/usage'
import type { Channel, EventName } from './channels'

const None = z.object({}).strict().optional()
const AccountRef = z
  .string()
  .min(1, { error: 'name or id of an account' })
  .max(64, { error: 'name or id of an account' })

/**
 * What the dashboard may change in the settings: everything but the programs Auth Pool runs, which only
 * the main process sets (claudePath through a file dialog, the terminal from the known ones).
 */
const SettingsUpdateSchema = SettingsSchema.extend({
  claudePath: z.never({ error: 'is chosen with Settings → Claude Code → Choose…, not set here' }),
  terminalCommand: z.never({ error: 'is chosen from the known terminals in Settings, not set here' }),
})
  .partial()
  .strict()

/** Every channel's input and output. The Api type below is derived from this, never written by hand. */
export const CONTRACT = {
  'pool:status': { input: None, output: PoolStatusSchema },
  'pool:allocate': {
    input: z.object({ cwd: PathInputSchema.optional(), account: AccountRef.optional() }).strict(),
    output: AllocationSchema,
  },
  'pool:setPreferred': {
    input: z.object({ account: AccountRef.nullable() }).strict(),
    output: z.object({ preferredAccountId: z.uuid().nullable() }),
  },
  'pool:metrics': { input: None, output: MetricsSchema },
  'accounts:list': { input: None, output: z.array(AccountViewSchema) },
  'accounts:add': { input: AccountInputSchema.strict(), output: AccountSchema },
  'accounts:update': {
    input: z.object({ account: AccountRef, patch: AccountPatchSchema.strict() }).strict(),
    output: AccountSchema,
  },
  'accounts:remove': {
    input: z.object({ account: AccountRef, force: z.boolean().optional() }).strict(),
    output: AccountSchema,
  },
  'accounts:identity': {
    input: z.object({ account: AccountRef }).strict(),
    output: LoginIdentitySchema.extend({
      loggedIn: z.boolean(),
      login: LoginStateSchema,
      /** Whether the account's settings.json runs Auth Pool's status line. */
      statusLine: z.boolean(),
    }),
  },
  /** Auth Pool's status line in the account's settings.json, on or off (off puts the user's own back). */
  'accounts:statusLine': {
    input: z.object({ account: AccountRef, on: z.boolean() }).strict(),
    output: z.object({ on: z.boolean(), message: z.string() }),
  },
  'accounts:login': {
    input: z.object({ account: AccountRef }).strict(),
    output: z.object({ started: z.boolean(), message: z.string() }),
  },
  'sessions:list': {
    input: z.object({ account: AccountRef.optional(), activeOnly: z.boolean().optional() }).strict().optional(),
    output: z.array(
      SessionSchema.extend({
        usage: z.object({ tokens: TokensSchema, costUsd: z.number(), entries: z.number().int() }),
      }),
    ),
  },
  'sessions:end': { input: z.object({ sessionId: z.uuid() }).strict(), output: SessionSchema },
  'usage:get': {
    input: z.object({ account: AccountRef }).strict(),
    output: z.object({ summary: UsageSummarySchema, diagnostics: DiagnosticsSchema }),
  },
  'rules:list': { input: None, output: z.array(RuleSchema) },
  'rules:save': { input: RuleSchema, output: RuleSchema },
  'rules:delete': {
    input: z.object({ id: z.string().min(1).max(64) }).strict(),
    output: z.object({ deleted: z.literal(true) }),
  },
  'notifications:list': { input: None, output: z.array(NotificationRecordSchema) },
  'settings:get': { input: None, output: SettingsSchema },
  'settings:update': { input: SettingsUpdateSchema, output: SettingsSchema },
  /** Opens the main process's file dialog for the claude program (or, with reset, goes back to PATH). */
  'settings:chooseClaude': {
    input: z.object({ reset: z.boolean().optional() }).strict().optional(),
    output: z.object({ claudePath: z.string().nullable(), message: z.string() }),
  },
  'settings:terminals': {
    input: None,
    output: z.object({
      current: z.string().nullable(),
      terminals: z.array(z.object({ id: z.string(), name: z.string(), available: z.boolean() })),
    }),
  },
  /** `auto`, a known terminal's id, or a template with {cwd} and {command} whose program is a known terminal. */
  'settings:setTerminal': {
    input: z.object({ terminal: z.string().min(1).max(500) }).strict(),
    output: z.object({ terminalCommand: z.string().nullable() }),
  },
  'launcher:launch': {
    input: z.object({ account: AccountRef.optional(), cwd: PathInputSchema.optional() }).strict(),
    output: z.object({ launched: z.boolean(), message: z.string() }),
  },
  /** Whether the app starts at login, and where its `auth-pool` command is installed. */
  'desktop:status': {
    input: None,
    output: z.object({ startAtLogin: z.boolean(), commandPath: z.string().nullable() }),
  },
  'desktop:setStartAtLogin': {
    input: z.object({ on: z.boolean() }).strict(),
    output: z.object({ startAtLogin: z.boolean(), commandPath: z.string().nullable() }),
  },
  /** Writes the `auth-pool` launcher into a folder on PATH (or says what to add to PATH). */
  'desktop:installCommand': {
    input: None,
    output: z.object({ path: z.string().nullable(), message: z.string() }),
  },
} as const satisfies Record<Channel, { input: z.ZodType; output: z.ZodType }>

export type Contract = typeof CONTRACT
export type InputOf<C extends Channel> = z.input<Contract[C]['input']>
export type ParsedInputOf<C extends Channel> = z.output<Contract[C]['input']>
export type OutputOf<C extends Channel> = z.output<Contract[C]['output']>

export const EVENT_SCHEMAS = {
  'event:poolChanged': z.object({}),
  'event:usageChanged': z.object({ accountId: z.string() }),
  'event:notificationsChanged': z.object({}),
  /** Opens a view, e.g. after a notification was clicked. */
  'event:navigate': z.object({
    view: z.enum(['overview', 'sessions', 'history', 'accounts', 'rules', 'settings']),
    accountId: z.string().nullable(),
  }),
} as const satisfies Record<EventName, z.ZodType>
export type EventPayload<E extends EventName> = z.output<(typeof EVENT_SCHEMAS)[E]>
