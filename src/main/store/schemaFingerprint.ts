import { createHash } from 'node:crypto'
import { z } from 'zod'
import { StateDocumentSchema } from '../../shared/schemas/state'

/**
 * A hash of the state document's schema (as JSON Schema): part of every state file's digest, so a file
 * written under another schema is validated again, never trusted. The build computes it once with this
 * function and hands it to the bundles as `__STATE_SCHEMA_FINGERPRINT__` (electron.vite.config.ts):
 * working it out took each command ~10 ms of its start-up. Run from source (tests), it is computed here.
 */
export function stateSchemaFingerprint(): string {
  return schemaFingerprintOf(StateDocumentSchema)
}

/**
 * A schema's fingerprint as a function: `built`, the value the build handed over (see
 * electron.vite.config.ts; undefined when run from source), or else worked out from `schema` on first use.
 */
export function fingerprintOnce(built: string | undefined, schema: z.ZodType): () => string {
  let fingerprint = built
  return () => (fingerprint ??= schemaFingerprintOf(schema))
}

/** A hash of a schema (as JSON Schema): it changes whenever what the schema accepts does. */
export function schemaFingerprintOf(schema: z.ZodType): string {
  return createHash('sha1')
    .update(JSON.stringify(z.toJSONSchema(schema, { unrepresentable: 'any' })))
    .digest('hex')
}
