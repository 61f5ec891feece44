import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { appendLines, assistantLine, subscriptionLimitLine } from '../test/helpers/transcripts'
import { ARTIFACTS, startBridge, watchForErrors, type Bridge } from './bridge/harness'
import { writeServerUsage } from '../src/main/usage/serverUsageFile'

let bridge: Bridge
let checkErrors: () => void

test.beforeEach(async ({ page }) => {
  bridge = await startBridge()
  checkErrors = watchForErrors(page)
  await page.goto(bridge.url)
  await expect(page.getByRole('heading', { name: 'Auth Pool', level: 1 })).toBeVisible()
})

test.afterEach(async () => {
  checkErrors()
  await bridge.stop()
})

const tab = (page: Page, name: string) => page.getByRole('tab', { name })
const shot = (page: Page, name: string) => {
  mkdirSync(ARTIFACTS, { recursive: true })
  return page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
}

/** Adds an account through the Accounts view, as a user would, for a directory holding a login. */
async function addAccount(page: Page, name: string, dir: string, plan = 'max5') {
  writeFileSync(
    join(dir, '.claude.json'),
    JSON.stringify({ oauthAccount: { emailAddress: `${name}@example.com`, organizationName: 'Example' } }),
  )
  await tab(page, 'Accounts').click()
  const form = page.getByRole('form', { name: 'Add an account' })
  await form.getByLabel('Name').fill(name)
  await form.getByLabel('Config directory').fill(dir)
  await form.getByLabel('Plan').selectOption(plan)
  await form.getByRole('button', { name: 'Add account' }).click()
  await expect(form.getByRole('status')).toHaveText(`Added ${name}.`)
}

function transcript(dir: string) {
  return join(dir, 'projects', '-home-dev-project', 'live.jsonl')
}

test('adding an account shows the engine’s error at the field, then accepts a valid directory', async ({ page }) => {
  await tab(page, 'Accounts').click()
  const form = page.getByRole('form', { name: 'Add an account' })
  await form.getByLabel('Name').fill('work')
  await form.getByLabel('Config directory').fill(join(bridge.root, 'does-not-exist'))
  await form.getByRole('button', { name: 'Add account' }).click()
  const dirField = form.getByLabel('Config directory')
  await expect(dirField).toHaveAttribute('aria-invalid', 'true')
  await expect(form.getByRole('alert')).toContainText('does not exist')
  await shot(page, 'accounts-invalid')

  const dir = join(bridge.root, 'claude-work')
  mkdirSync(dir)
  await dirField.fill(dir)
  await form.getByRole('button', { name: 'Add account' }).click()
  await expect(form.getByRole('status')).toHaveText('Added work.')
  await expect(page.getByRole('listitem', { name: 'work' })).toBeVisible()
  await shot(page, 'accounts')
  await tab(page, 'Overview').click()
  await expect(page.getByTestId('account-work').getByTestId('status')).toHaveText('not logged in')
  await expect(page.getByTestId('account-work')).toContainText('no login found · pro')
  // Logging in (Claude Code writes .claude.json) updates the card without a reload.
  writeFileSync(
    join(dir, '.claude.json'),
    JSON.stringify({ oauthAccount: { emailAddress: 'dev@example.com', subscriptionType: 'max' } }),
  )
  await expect(page.getByTestId('account-work')).toContainText('dev@example.com · max · pro', { timeout: 5_000 })
  await expect(page.getByTestId('account-work').getByTestId('status')).toHaveText('available')
})

test('usage appears live when Claude Code appends to a transcript', async ({ page }) => {
  const dir = join(bridge.root, 'claude-live')
  mkdirSync(dir)
  await addAccount(page, 'live', dir)
  await tab(page, 'Overview').click()
  const card = page.getByTestId('account-live')
  await expect(card.getByRole('meter', { name: '5-hour window' })).toHaveAttribute('aria-valuenow', '0')
  // $20 of Sonnet 4.5 input in the current block: half of max5's $40 block budget.
  appendLines(transcript(dir), [
    assistantLine({ time: new Date(), messageId: 'msg_live_1', requestId: 'req_live_1', input: 6_666_667, output: 0 }),
  ])
  await expect(card.getByRole('meter', { name: '5-hour window' })).toHaveAttribute('aria-valuenow', '50', {
    timeout: 5_000,
  })
  await expect(card).toContainText('$20.00 of $40.00')
  await expect(card.getByTestId('status')).toHaveText('available')
  await expect(card).toContainText('live@example.com')
  await shot(page, 'overview')
  await tab(page, 'History').click()
  await expect(page.getByRole('img', { name: /Cost per 5-hour block/ })).toBeVisible()
  await shot(page, 'history')
  await page.getByLabel('Show as table').check()
  await expect(page.getByRole('table').first()).toContainText('$20.00')
  await tab(page, 'Sessions').click()
  await shot(page, 'sessions')
})

test('picking an account makes it the one new sessions go to', async ({ page }) => {
  for (const name of ['alpha', 'beta']) {
    const dir = join(bridge.root, name)
    mkdirSync(dir)
    await addAccount(page, name, dir)
  }
  await tab(page, 'Overview').click()
  const picker = page.getByRole('group', { name: 'New sessions go to' })
  await expect(picker.getByLabel('Auto (best available)')).toBeChecked()
  await picker.getByLabel('beta').check()
  await expect(picker.getByLabel('beta')).toBeChecked()
  await expect(page.getByTestId('summary')).toContainText('Auto would pick beta (preferred)')
  // The pick is persisted in the engine: a fresh page load shows it too.
  await page.reload()
  await expect(page.getByRole('group', { name: 'New sessions go to' }).getByLabel('beta')).toBeChecked()
})

test('editing a rule shows the schema’s error for an invalid value and saves a valid one', async ({ page }) => {
  await tab(page, 'Rules & notifications').click()
  const rule = page.getByTestId('rule-five-hour-75')
  const percent = rule.getByLabel('Percent')
  await percent.fill('')
  await rule.getByRole('button', { name: 'Save rule' }).click()
  await expect(rule.getByRole('alert')).toHaveText('a threshold rule needs a percent from 1 to 100')
  await expect(percent).toHaveAttribute('aria-invalid', 'true')
  await percent.fill('0')
  await rule.getByRole('button', { name: 'Save rule' }).click()
  await expect(rule.getByRole('alert')).toHaveText('must be at least 1')
  await shot(page, 'rules-invalid')
  await percent.fill('80')
  await rule.getByRole('button', { name: 'Save rule' }).click()
  await expect(rule.getByRole('status')).toHaveText('Saved.')
  await page.reload()
  await tab(page, 'Rules & notifications').click()
  await expect(page.getByTestId('rule-five-hour-75').getByLabel('Percent')).toHaveValue('80')
  await shot(page, 'rules')
  await tab(page, 'Settings').click()
  await expect(page.getByLabel('Rebalance interval (seconds)')).toHaveValue('60')
  // Asking Anthropic for Claude's figures: never more often than every 2 minutes, and it can be turned off.
  await page.getByLabel('Ask at most every (minutes)').fill('1')
  await page.getByRole('button', { name: 'Save settings' }).click()
  await expect(page.getByRole('alert').first()).toHaveText('must be at least 2 minutes')
  await page.getByLabel('Ask at most every (minutes)').fill('10')
  await page.getByLabel(/Ask Anthropic’s usage endpoint/).uncheck()
  await page.getByRole('button', { name: 'Save settings' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible()
  await page.reload()
  await tab(page, 'Settings').click()
  await expect(page.getByLabel('Ask at most every (minutes)')).toHaveValue('10')
  await expect(page.getByLabel(/Ask Anthropic’s usage endpoint/)).not.toBeChecked()
  await expect(page.getByRole('heading', { name: 'Diagnostics' })).toBeVisible()
  await expect(page.getByText(/Since the app started it has started \d+ sessions?\./)).toBeVisible()
  await shot(page, 'settings')
})

test('a limited account is shown as limited with its reset time', async ({ page }) => {
  const dir = join(bridge.root, 'claude-limited')
  mkdirSync(dir)
  await addAccount(page, 'capped', dir)
  await tab(page, 'Overview').click()
  const resetsAt = Math.floor(Date.now() / 1000) + 2 * 3600 + 17 * 60
  appendLines(transcript(dir), [subscriptionLimitLine(new Date(), resetsAt)])
  const expected = await page.evaluate(
    (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
    resetsAt * 1000,
  )
  const card = page.getByTestId('account-capped')
  // In 2 h 17 min: later today, or (run late in the evening) tomorrow, which the dashboard then says.
  await expect(card.getByTestId('status')).toHaveText(new RegExp(`^limited until ${expected}( tomorrow)?$`), {
    timeout: 5_000,
  })
  await expect(page.getByTestId('summary')).toContainText('0 of 1 accounts available')
  await shot(page, 'overview-limited')
  // The limit raised a notification, shown in the history.
  await tab(page, 'Rules & notifications').click()
  await expect(page.getByRole('table')).toContainText('capped reached its limit')
})

test("cards show Claude's own figures with their age, the estimate beside them, and the status line switch", async ({
  page,
}) => {
  const work = join(bridge.root, 'claude-work')
  const fresh = join(bridge.root, 'claude-new')
  for (const d of [work, fresh]) mkdirSync(d)
  await addAccount(page, 'work', work)
  // An account no one has logged in to yet: never what Auto picks, and it says what to do.
  await tab(page, 'Accounts').click()
  const form = page.getByRole('form', { name: 'Add an account' })
  await form.getByLabel('Name').fill('new')
  await form.getByLabel('Config directory').fill(fresh)
  await form.getByRole('button', { name: 'Add account' }).click()
  await expect(form.getByRole('status')).toHaveText('Added new.')
  await tab(page, 'Overview').click()
  await expect(page.getByTestId('summary')).toContainText('1 of 2 accounts available')
  await expect(page.getByTestId('summary')).toContainText('Auto would pick work')
  const newCard = page.getByTestId('account-new')
  await expect(newCard.getByTestId('status')).toHaveText('not logged in')
  await expect(newCard).toContainText('log in with auth-pool login new')

  // What Claude Code's status line passes arrives in the account's file; the card follows it live.
  const now = Date.now()
  writeServerUsage(bridge.home, work, {
    windows: {
      fiveHour: { percent: 64, resetsAt: now + 90 * 60_000, observedAt: now - 3 * 60_000, source: 'statusline' },
      sevenDay: { percent: 22, resetsAt: now + 3 * 86_400_000, observedAt: now - 3 * 60_000, source: 'statusline' },
      sevenDayOpus: { percent: 71, resetsAt: now + 3 * 86_400_000, observedAt: now - 3 * 60_000, source: 'endpoint' },
    },
  })
  const card = page.getByTestId('account-work')
  await expect(card.getByRole('meter', { name: '5-hour window' })).toHaveAttribute('aria-valuenow', '64', {
    timeout: 5_000,
  })
  await expect(card).toContainText('Claude · as of 3 min ago · resets in 1 h 30 min')
  await expect(card).toContainText("This machine's estimate: $0.00 of $40.00")
  await expect(card.getByRole('meter', { name: 'Week', exact: true })).toHaveAttribute('aria-valuenow', '22')
  await expect(card.getByRole('meter', { name: 'Opus, week' })).toHaveAttribute('aria-valuenow', '71')

  // The switch puts Auth Pool's status line in the account's settings.json, and takes it out again.
  const settings = join(work, 'settings.json')
  writeFileSync(settings, '{ "model": "opus" }\n')
  const live = card.getByLabel('Live figures from Claude Code’s status line')
  await expect(live).not.toBeChecked()
  await live.check()
  await expect(live).toBeChecked()
  // The switch flips at once; the file follows when the main process has written it.
  await expect
    .poll(() => JSON.parse(readFileSync(settings, 'utf8')) as unknown)
    .toMatchObject({
      model: 'opus',
      statusLine: { type: 'command', command: expect.stringMatching(/auth-pool' statusline$/) },
    })
  await shot(page, 'overview-claude-figures')
  await live.uncheck()
  await expect(live).not.toBeChecked()
  await expect.poll(() => readFileSync(settings, 'utf8')).toBe('{ "model": "opus" }\n')
})
