import { clockTime, money, serverSummary } from '../../shared/format'
import { NO_ACCOUNTS_YET } from '../../shared/errors'
import { findAccount } from '../engine/accounts'
import type { CliContext } from './commands'

const round = (usd: number) => Math.round(usd * 1e6) / 1e6
const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`

/** The `auth-pool usage` report: per account, its blocks (no gap blocks), week, current block and limit. */
export async function usageReport(context: CliContext, filter: { account?: string; since?: number }) {
  const all = await context.engine.listAccounts()
  // findAccount throws the typed not-found error (exit 2) that names the known accounts.
  const accounts = filter.account ? [findAccount({ accounts: all }, filter.account)] : all
  return {
    // A CLI process reads each account's new transcript bytes on its first use (prime or summaryOf):
    // a refresh here would walk every transcript a second time.
    accounts: accounts.map((account) => {
      const summary = context.usage.summaryOf(account)
      const blocks = summary.blocks.filter((b) => filter.since === undefined || Date.parse(b.end) > filter.since!)
      return {
        id: account.id,
        name: account.name,
        configDir: account.configDir,
        blocks: blocks.map((b) => ({ ...b, costUsd: round(b.costUsd) })),
        week: { ...summary.week, costUsd: round(summary.week.costUsd) },
        current: summary.current,
        limitedUntil: summary.limitedUntil,
        limitHits: summary.limitHits,
        standing: account.standing,
        /** Claude's own figures (status line, usage endpoint), or null when none were seen. */
        server: account.standing.server,
        calibration: account.standing.calibration,
        diagnostics: context.usage.diagnostics(account),
      }
    }),
  }
}

export function usageTable(report: Awaited<ReturnType<typeof usageReport>>): string {
  if (report.accounts.length === 0) return NO_ACCOUNTS_YET
  return report.accounts
    .map((a) => {
      const s = a.standing
      // Of a budget, when the estimate decides; of Claude's limit, as Claude says, while its figures are fresh.
      const share = (ratio: number, budgetUsd: number, server: boolean) =>
        server ? `(${Math.round(ratio * 100)}% by Claude)` : `of ${money(budgetUsd)} (${Math.round(ratio * 100)}%)`
      const current = a.current
        ? `5h block ${money(a.current.costUsd)} ${share(s.blockRatio, s.blockBudgetUsd, !!s.server?.fiveHour && !s.server.stale)}, ends ${clockTime(a.current.end)}, ` +
          (a.current.burnRateUsdPerHour > 0
            ? `burn ${money(a.current.burnRateUsdPerHour)}/h` +
              (s.blockRunsOutAt ? `, runs out ${clockTime(s.blockRunsOutAt)}` : ', lasts until it ends')
            : 'nothing in use now')
        : 'no active 5h block'
      const skipped = a.diagnostics.skippedLines.reduce((n, f) => n + f.invalid + f.oversized, 0)
      const estimated = [...new Set(a.blocks.filter((b) => b.estimated).flatMap((b) => b.models))]
      return [
        `${a.name}: ${current}; week ${money(a.week.costUsd)} ${share(s.weekRatio, s.weeklyBudgetUsd, !!s.server?.sevenDay && !s.server.stale)}` +
          (a.limitedUntil ? `; limited until ${clockTime(a.limitedUntil)}` : ''),
        ...(estimated.length
          ? [
              `  costs estimated: some of ${estimated.join(', ')} are models Auth Pool has no price for (priced as their family, or as Claude Code prices unknown ones)`,
            ]
          : []),
        `  ${count(a.blocks.length, 'block')}, ${count(a.diagnostics.files, 'transcript file')}${skipped ? `, ${count(skipped, 'line')} skipped` : ''}`,
        ...(a.server ? [`  Claude: ${serverSummary(a.server) ?? 'no figures yet'}`] : []),
        ...(a.server?.problem ? [`  Claude's figures: ${a.server.problem}`] : []),
        ...(a.calibration.fiveHourUsd
          ? [
              `  ≈ ${money(a.calibration.fiveHourUsd)} per 5-hour window on this account (learned from Claude's figures)`,
            ]
          : []),
        ...(s.readProblem ? [`  ⚠ ${s.readProblem}`] : []),
      ].join('\n')
    })
    .join('\n')
}
