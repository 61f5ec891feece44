import type { Price, PricingOverrides } from '../../shared/schemas/pricing'

/**
 * Prices per million tokens. Opus 5.x is not in the published list we started from; its figures were
 * read off Claude Code 2.1.332's own `total_cost_usd` (one token kind at a time, 1M tokens each).
 */
export const PRICES = {
  opus5: { input: 4, cacheWrite5m: 5, cacheWrite1h: 8, cacheRead: 0.2, output: 20 },
  opus45: { input: 5, cacheWrite5m: 6.25, cacheWrite1h: 10, cacheRead: 0.5, output: 25 },
  opus4: { input: 15, cacheWrite5m: 18.75, cacheWrite1h: 30, cacheRead: 1.5, output: 75 },
  sonnet4: { input: 3, cacheWrite5m: 3.75, cacheWrite1h: 6, cacheRead: 0.3, output: 15 },
  haiku45: { input: 1, cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1, output: 5 },
} as const satisfies Record<string, Price>

export interface ModelPrice {
  readonly price: Price
  /** True when the model is not in the table and was priced by its family (or as Sonnet). */
  readonly estimated: boolean
}

const ZERO: Price = { input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 }

/** Parses `claude-opus-4-1-20250805`, `claude-sonnet-4-5`, `claude-opus-5-5`, `claude-3-5-haiku-…`. */
function parseModel(model: string): { family?: 'opus' | 'sonnet' | 'haiku'; major?: number; minor?: number } {
  const modern = /(opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?=-\d{8}|$|[^\d])/.exec(model)
  if (modern)
    return {
      family: modern[1] as 'opus' | 'sonnet' | 'haiku',
      major: Number(modern[2]),
      minor: modern[3] === undefined ? undefined : Number(modern[3]),
    }
  const family = /(opus|sonnet|haiku)/.exec(model)?.[1] as 'opus' | 'sonnet' | 'haiku' | undefined
  return { family }
}

function tablePrice(model: string): ModelPrice {
  const { family, major, minor } = parseModel(model)
  if (family === 'opus') {
    if (major === 5) return { price: PRICES.opus5, estimated: false }
    if (major === 4 && minor !== undefined && minor >= 5 && minor <= 8)
      return { price: PRICES.opus45, estimated: false }
    if (major === 4 && (minor === undefined || minor <= 1)) return { price: PRICES.opus4, estimated: false }
    return { price: PRICES.opus5, estimated: true }
  }
  if (family === 'sonnet') {
    const known = major === 4 && (minor === undefined || minor === 5 || minor === 6)
    return { price: PRICES.sonnet4, estimated: !known }
  }
  if (family === 'haiku') return { price: PRICES.haiku45, estimated: !(major === 4 && minor === 5) }
  return { price: PRICES.sonnet4, estimated: true }
}

/** Looks a model up: exact override, then family override, then the table. */
export function createPriceBook(overrides: PricingOverrides = {}) {
  const cache = new Map<string, ModelPrice>()
  return {
    priceOf(model: string): ModelPrice {
      let found = cache.get(model)
      if (!found) {
        if (model === '<synthetic>') found = { price: ZERO, estimated: false }
        else if (overrides[model]) found = { price: overrides[model]!, estimated: false }
        else {
          const family = parseModel(model).family
          found = family && overrides[family] ? { price: overrides[family]!, estimated: false } : tablePrice(model)
        }
        cache.set(model, found)
      }
      return found
    },
  }
}
export type PriceBook = ReturnType<typeof createPriceBook>

export interface TokenCounts {
  readonly input: number
  readonly output: number
  readonly cacheWrite5m: number
  readonly cacheWrite1h: number
  readonly cacheRead: number
}

export function costUsd(tokens: TokenCounts, price: Price): number {
  return (
    (tokens.input * price.input +
      tokens.cacheWrite5m * price.cacheWrite5m +
      tokens.cacheWrite1h * price.cacheWrite1h +
      tokens.cacheRead * price.cacheRead +
      tokens.output * price.output) /
    1_000_000
  )
}
