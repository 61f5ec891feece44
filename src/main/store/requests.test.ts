import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { toErrorValue } from '../../shared/errors'
import { tempDir } from '../../../test/helpers/tempDir'
import { createRequestBox, outcomeOf, type StoreOperation } from './requests'

const ID = 'request-0001'
const VALUE = { session: { id: 's1' }, granted: true }
const OURS = 'a'.repeat(40)

/** An operation whose value check counts its calls and accepts only VALUE's shape. */
function operation() {
  const parseValue = vi.fn((value: unknown) => {
    if ((value as typeof VALUE).granted !== true) throw new Error('not an allocation')
    return value
  })
  const op: StoreOperation = {
    parseInput: (input) => input,
    run: () => VALUE,
    applied: () => true,
    parseValue,
    fingerprint: () => OURS,
  }
  return { op, parseValue }
}

function answered(fingerprint?: string) {
  const dir = join(tempDir(), 'state.json.req')
  const box = createRequestBox(dir, () => true)
  box.post({ id: ID, kind: 'allocate', pid: process.pid, at: new Date().toISOString(), input: {} })
  box.answer(ID, 'c0ffee', { ok: true, value: VALUE }, toErrorValue, fingerprint)
  return { box, file: join(dir, `${ID}.res`) }
}

describe('answers between processes', () => {
  it('takes an answer signed under its own fingerprint as written, without parsing its value', () => {
    const { box } = answered(OURS)
    const { op, parseValue } = operation()
    const result = box.result(ID, OURS)
    expect(result).toMatchObject({ commit: 'c0ffee', verified: true })
    expect(outcomeOf(result!, op)).toEqual({ ok: true, value: VALUE })
    expect(parseValue).not.toHaveBeenCalled()
  })

  it('parses an answer changed after it was signed, and refuses a value that fails the check', () => {
    const { box, file } = answered(OURS)
    writeFileSync(file, readFileSync(file, 'utf8').replace('"granted":true', '"granted":false'))
    const { op, parseValue } = operation()
    const result = box.result(ID, OURS)
    expect(result?.verified).toBeUndefined()
    const outcome = outcomeOf(result!, op)
    expect(parseValue).toHaveBeenCalledTimes(1)
    expect(outcome.ok).toBe(false)
  })

  it('parses an answer signed under another fingerprint (another version of the schema)', () => {
    const { box } = answered('b'.repeat(40))
    const { op, parseValue } = operation()
    const result = box.result(ID, OURS)
    expect(result?.verified).toBeUndefined()
    expect(outcomeOf(result!, op)).toEqual({ ok: true, value: VALUE })
    expect(parseValue).toHaveBeenCalledTimes(1)
  })

  it('parses an unsigned answer (a writer without a fingerprint), and a reader without one parses every answer', () => {
    const unsigned = answered(undefined)
    expect(unsigned.box.result(ID, OURS)).toMatchObject({ commit: 'c0ffee', outcome: { ok: true } })
    expect(unsigned.box.result(ID, OURS)?.verified).toBeUndefined()
    const signed = answered(OURS)
    expect(signed.box.result(ID)?.verified).toBeUndefined()
    expect(signed.box.result(ID)).toMatchObject({ commit: 'c0ffee', outcome: { ok: true, value: VALUE } })
  })

  it('never signs a rejection: it is always parsed', () => {
    const dir = join(tempDir(), 'state.json.req')
    const box = createRequestBox(dir, () => true)
    box.post({ id: ID, kind: 'allocate', pid: process.pid, at: new Date().toISOString(), input: {} })
    box.answer(ID, 'c0ffee', { ok: false, error: new Error('pool exhausted') }, toErrorValue, OURS)
    expect(readFileSync(join(dir, `${ID}.res`), 'utf8')).not.toContain('"digest"')
    expect(box.result(ID, OURS)).toMatchObject({ outcome: { ok: false, error: { message: 'pool exhausted' } } })
  })

  it('takes an answer read half-written (it is written in place) for none, signed or not', () => {
    for (const fingerprint of [OURS, undefined]) {
      const { box, file } = answered(fingerprint)
      const whole = readFileSync(file, 'utf8')
      for (const cut of [0, 1, 30, whole.length - 1]) {
        writeFileSync(file, whole.slice(0, cut))
        expect(box.result(ID, OURS)).toBeUndefined()
      }
      writeFileSync(file, whole)
      expect(box.result(ID, OURS)).toMatchObject({ commit: 'c0ffee', outcome: { ok: true, value: VALUE } })
    }
  })
})
