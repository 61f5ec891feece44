import { AllocationSchema } from '../../shared/schemas/pool'
import { fingerprintOnce } from '../store/schemaFingerprint'

/** Set by the build (electron.vite.config.ts); absent when run from source. */
declare const __ALLOCATION_SCHEMA_FINGERPRINT__: string | undefined

/**
 * The allocation's schema fingerprint, which signs the answers one process writes for another's
 * allocation (see StoreOperation.fingerprint): the build's, or worked out on first use when run from
 * source (4–5 ms here, which the build saves every command).
 */
export const allocationFingerprint = fingerprintOnce(
  typeof __ALLOCATION_SCHEMA_FINGERPRINT__ === 'string' ? __ALLOCATION_SCHEMA_FINGERPRINT__ : undefined,
  AllocationSchema,
)
