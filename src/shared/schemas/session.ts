import { z } from 'zod'
import { IsoTimeSchema } from './account'

export const SessionStatusSchema = z.enum(['active', 'ended', 'reaped'])
export type SessionStatus = z.infer<typeof SessionStatusSchema>

export const SessionSchema = z.object({
  id: z.uuid(),
  accountId: z.uuid(),
  /** Absolute folder the session was started in, or null when unknown. */
  cwd: z.string().nullable(),
  pid: z.number().int().positive().nullable(),
  startedAt: IsoTimeSchema,
  endedAt: IsoTimeSchema.nullable(),
  status: SessionStatusSchema,
  /** Why a session ended: released, process-exited, account-removed, expired. */
  endReason: z.string().max(200).nullable(),
  /** Claude Code's id of the conversation (what `claude --resume` takes), when known. */
  conversationId: z.string().max(200).nullable().default(null),
})
export type Session = z.infer<typeof SessionSchema>

export const AssignmentSchema = z.object({
  accountId: z.uuid(),
  updatedAt: IsoTimeSchema,
})
export type Assignment = z.infer<typeof AssignmentSchema>
