// Draws the tray icons (run once: node resources/make-icons.mjs). A filled circle per pool state,
// 16 and 32 px with @2x, plus black-on-alpha macOS template variants that the OS tints itself.
import { writeFileSync } from 'node:fs'
import { deflateSync } from 'node:zlib'
import { join } from 'node:path'

const STATES = { ok: [46, 157, 91], near: [224, 161, 0], exhausted: [214, 69, 69], empty: [128, 128, 128] }

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (buf) => {
  let c = 0xffffffff
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'ascii')
  data.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}
function png(size, [r, g, b], template, state) {
  const raw = Buffer.alloc(size * (size * 4 + 1))
  const c = (size - 1) / 2
  const radius = size * 0.42
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c)
      // Anti-aliased disc; the exhausted state is a ring with a bar, the near state a ring.
      let alpha = Math.max(0, Math.min(1, radius + 0.5 - d))
      if (state === 'near' || state === 'exhausted') alpha *= Math.max(0, Math.min(1, d - radius * 0.45 + 0.5))
      if (state === 'exhausted' && Math.abs(y - c) < size * 0.09 && Math.abs(x - c) < radius * 0.75) alpha = 1
      if (state === 'empty') alpha *= Math.max(0, Math.min(1, d - radius * 0.7 + 0.5))
      const i = y * (size * 4 + 1) + 1 + x * 4
      raw[i] = template ? 0 : r
      raw[i + 1] = template ? 0 : g
      raw[i + 2] = template ? 0 : b
      raw[i + 3] = Math.round(alpha * 255)
    }
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 8
  header[9] = 6
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}
const dir = new URL('.', import.meta.url).pathname
for (const [state, color] of Object.entries(STATES))
  for (const base of [16, 32])
    for (const template of [false, true]) {
      const name = `tray-${state}-${base}${template ? 'Template' : ''}`
      writeFileSync(join(dir, `${name}.png`), png(base, color, template, state))
      writeFileSync(join(dir, `${name}@2x.png`), png(base * 2, color, template, state))
    }
// 1024 px: what electron-builder makes the macOS .icns and the Windows .ico from (it wants at least 512).
writeFileSync(join(dir, 'icon.png'), png(1024, STATES.ok, false, 'ok'))
