import type { Price, PricingOverrides } from '../../shared/schemas/pricing'

/**
 * Prices per million tokens, as Claude Code 2.1.332 reports them in `total_cost_usd` (read off the CLI
 * one token kind at a time; test/prices.test.ts checks every model against it). The Opus 4.0/4.1 figures
 * are Anthropic's published ones: Claude Code now sends those requests as Opus 5.5, but older transcripts
 * name them.
 */
export const PRICES = {
  opus55: { input: 4, cacheWrite5m: 5, cacheWrite1h: 8, cacheRead: 0.2, output: 20 },
  opus45: { input: 5, cacheWrite5m: 6.25, cacheWrite1h: 10, cacheRead: 0.5, output: 25 },
  opus4: { input: 15, cacheWrite5m: 18.75, cacheWrite1h: 30, cacheRead: 1.5, output: 75 },
  sonnet55: { input: 2, cacheWrite5m: 2.5, cacheWrite1h: 4, cacheRead: 0.1, output: 10 },
  sonnet5: { input: 2, cacheWrite5m: 2.5, cacheWrite1h: 4, cacheRead: 0.2, output: 10 },
  sonnet4: { input: 3, cacheWrite5m: 3.75, cacheWrite1h: 6, cacheRead: 0.3, output: 15 },
  haiku55: { input: 0.5, cacheWrite5m: 0.625, cacheWrite1h: 1, cacheRead: 0.05, output: 2.5 },
  haiku45: { input: 1, cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1, output: 5 },
  haiku35: { input: 0.8, cacheWrite5m: 1, cacheWrite1h: 1.6, cacheRead: 0.08, output: 4 },
  haiku3: { input: 0.25, cacheWrite5m: 0.3, cacheWrite1h: 0.5, cacheRead: 0.03, output: 1.25 },
  /** What Claude Code charges for a model it does not know. */
  unknown: { input: 4, cacheWrite5m: 5, cacheWrite1h: 8, cacheRead: 0.2, output: 20 },
} as const satisfies Record<string, Price>

export interface ModelPrice {
  readonly price: Price
  /** True when the model is not in the table and was priced by its family (or not even that). */
  readonly estimated: boolean
}

const ZERO: Price = { input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 }
type Family = 'opus' | 'sonnet' | 'haiku'

/** Parses `claude-opus-4-1-20250805`, `claude-sonnet-4-5`, `claude-opus-5-5`, `claude-3-5-haiku-…`. */
function parseModel(model: string): { family?: Family; major?: number; minor?: number } {
  const legacy = /claude-(\d)(?:-(\d))?-(opus|sonnet|haiku)/.exec(model)
  if (legacy) return { family: legacy[3] as Family, major: Number(legacy[1]), minor: Number(legacy[2] ?? 0) }
  const modern = /(opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?=-\d{8}|$|[^\d])/.exec(model)
  if (modern)
    return {
      family: modern[1] as Family,
      major: Number(modern[2]),
      minor: modern[3] === undefined ? undefined : Number(modern[3]),
    }
  return { family: /(opus|sonnet|haiku)/.exec(model)?.[1] as Family | undefined }
}

/** The table's price of a model, or of its family's newest model (estimated) when it is not in the table. */
function tablePrice(model: string): ModelPrice {
  const { family, major, minor = 0 } = parseModel(model)
  const known = (price: Price) => ({ price, estimated: false })
  const guess = (price: Price) => ({ price, estimated: true })
  if (family === 'opus') {
    if (major === 5)
      return minor === 5 ? known(PRICES.opus55) : minor === 0 ? known(PRICES.opus45) : guess(PRICES.opus55)
    if (major === 4)
      return minor >= 5 && minor <= 8 ? known(PRICES.opus45) : minor <= 1 ? known(PRICES.opus4) : guess(PRICES.opus55)
    return major === 3 ? known(PRICES.opus4) : guess(PRICES.opus55)
  }
  if (family === 'sonnet') {
    if (major === 5)
      return minor === 5 ? known(PRICES.sonnet55) : minor === 0 ? known(PRICES.sonnet5) : guess(PRICES.sonnet55)
    return major === 4 || major === 3 ? known(PRICES.sonnet4) : guess(PRICES.sonnet55)
  }
  if (family === 'haiku') {
    if (major === 5 && minor === 5) return known(PRICES.haiku55)
    if (major === 4 && minor === 5) return known(PRICES.haiku45)
    if (major === 3) return known(minor === 5 ? PRICES.haiku35 : PRICES.haiku3)
    return guess(PRICES.haiku55)
  }
  return guess(PRICES.unknown)
}

/**
 * Looks a model up: exact override, then family override, then the table. Only an override's own keys
 * count: a transcript naming its model "constructor" or "__proto__" gets an estimate, never NaN.
 */
export function createPriceBook(overrides: PricingOverrides = {}) {
  const cache = new Map<string, ModelPrice>()
  const override = (key: string | undefined) =>
    key !== undefined && Object.hasOwn(overrides, key) ? overrides[key] : undefined
  return {
    priceOf(model: string): ModelPrice {
      let found = cache.get(model)
      if (!found) {
        const own = override(model) ?? override(parseModel(model).family)
        found =
          model === '<synthetic>'
            ? { price: ZERO, estimated: false }
            : own
              ? { price: own, estimated: false }
              : tablePrice(model)
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
