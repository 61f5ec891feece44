import { describe, expect, it, vi } from 'vitest'
import type { PoolStatus } from '../../shared/schemas/pool'
import { DEFAULT_SETTINGS } from '../../shared/schemas/settings'
import { createInitialState } from '../../shared/schemas/state'
import type { PoolNotification } from '../engine/ports'
import { createNativeNotifier, type NotificationLike } from './nativeNotifier'
import {
  CONTENT_SECURITY_POLICY,
  hardenWebContents,
  isAllowedExternalUrl,
  isAppUrl,
  rendererFileFor,
  denyAllPermissions,
  SECURE_WEB_PREFERENCES,
  type WebContentsLike,
} from './security'
import { createTrayController, type TrayLike } from './tray'
import { buildTrayMenu, trayIconState, trayTooltip, type TrayItem } from './trayMenu'

const time = (iso: string) => iso.slice(11, 16)
type AccountStanding = PoolStatus['accounts'][number]['standing']
const standing = (over: Partial<AccountStanding> = {}) => ({
  accountId: '',
  status: 'available' as const,
  available: true,
  reason: 'has headroom',
  blockBudgetUsd: 40,
  weeklyBudgetUsd: 250,
  blockCostUsd: 16.8,
  weekCostUsd: 157.5,
  blockRatio: 0.42,
  weekRatio: 0.63,
  blockEndsAt: '2026-11-27T14:00:00.000Z',
  blockRunsOutAt: null,
  freesAt: null,
  health: 70,
  readProblem: null as string | null,
  basis: 'estimate' as 'estimate' | 'server',
  server: null as AccountStanding['server'],
  calibration: { fiveHourUsd: null, sevenDayUsd: null, samples: 0 },
  login: 'logged_in' as AccountStanding['login'],
  ...over,
})
const account = (id: string, name: string, s = standing()) => ({
  id,
  name,
  configDir: `/home/dev/.claude-${name}`,
  plan: 'max5' as const,
  blockBudgetUsd: null,
  weeklyBudgetUsd: null,
  enabled: s.status !== 'disabled',
  priority: 0,
  createdAt: '2026-11-01T00:00:00.000Z',
  lastAllocatedAt: null,
  sessionsStarted: 0,
  limitedUntil: null,
  standing: { ...s, accountId: id },
  activeSessions: 0,
})
const WORK = '11111111-1111-4111-8111-111111111111'
const HOME = '22222222-2222-4222-8222-222222222222'
const OFF = '33333333-3333-4333-8333-333333333333'

function status(over: Partial<PoolStatus> = {}): PoolStatus {
  return {
    revision: 3,
    accounts: [
      account(WORK, 'work-max'),
      account(
        HOME,
        'personal',
        standing({
          status: 'limited',
          available: false,
          reason: '5-hour budget used',
          blockRatio: 1.02,
          freesAt: '2026-11-27T15:00:00.000Z',
          health: 0,
        }),
      ),
      account(OFF, 'old', standing({ status: 'disabled', available: false, reason: 'disabled', health: 0 })),
    ],
    availableCount: 1,
    nextResetAt: '2026-11-27T14:00:00.000Z',
    autoPick: { accountId: WORK, name: 'work-max', reason: 'healthiest' },
    preferredAccountId: null,
    scheduler: createInitialState(DEFAULT_SETTINGS).scheduler,
    recoveries: [],
    undeliveredCount: 0,
    ...over,
  }
}

const labels = (items: TrayItem[]) => items.map((i) => (i.type === 'separator' ? '—' : i.label))

describe('tray menu', () => {
  it('labels accounts with their 5-hour and weekly share and reset, and explains limited ones', () => {
    const items = buildTrayMenu({ status: status(), paused: false, time })
    expect(labels(items)).toEqual([
      '1 of 3 accounts available · next reset 14:00',
      '—',
      'Auto (best available) (now work-max)',
      'work-max — 5h ≈42% · week ≈63% · resets 14:00 (estimate)',
      'personal — limited until 15:00 (5-hour budget used)',
      'old — disabled',
      '—',
      'Launch Claude Code',
      'Launch in folder…',
      'Open dashboard',
      'Pause rebalancing',
      '—',
      'Quit Auth Pool',
    ])
  })

  it('shows when an account runs out instead of its reset, when that comes first', () => {
    const runningOut = status()
    runningOut.accounts[0] = {
      ...runningOut.accounts[0]!,
      standing: { ...runningOut.accounts[0]!.standing, blockRunsOutAt: '2026-11-27T13:10:00.000Z' },
    }
    expect(labels(buildTrayMenu({ status: runningOut, paused: false, time }))[3]).toBe(
      'work-max — 5h ≈42% · week ≈63% · runs out 13:10 (estimate)',
    )
  })

  it("labels an account by Claude's own percentages while they are fresh, and says when it cannot run", () => {
    const withServer = status()
    const server = {
      fiveHour: {
        percent: 55,
        reportedPercent: 55,
        resetsAt: '2026-11-27T14:00:00.000Z',
        observedAt: '2026-11-27T11:28:00.000Z',
        source: 'statusline' as const,
      },
      sevenDay: {
        percent: 21,
        reportedPercent: 21,
        resetsAt: null,
        observedAt: '2026-11-27T11:28:00.000Z',
        source: 'statusline' as const,
      },
      sevenDayOpus: null,
      sevenDaySonnet: null,
      observedAt: '2026-11-27T11:28:00.000Z',
      stale: false,
      problem: null,
    }
    withServer.accounts[0] = {
      ...withServer.accounts[0]!,
      standing: { ...withServer.accounts[0]!.standing, basis: 'server', blockRatio: 0.55, weekRatio: 0.21, server },
    }
    withServer.accounts[2] = account(
      OFF,
      'new',
      standing({
        status: 'logged_out',
        available: false,
        reason: 'not logged in to Claude',
        login: 'logged_out',
        health: 0,
      }),
    )
    const shown = labels(buildTrayMenu({ status: withServer, paused: false, time }))
    expect(shown[3]).toBe('work-max — 5h 55% · week 21% · resets 14:00')
    expect(shown[5]).toBe('new — not logged in to Claude')
  })

  it('checks Auto or the picked account, disables disabled accounts, and carries commands', () => {
    const auto = buildTrayMenu({ status: status(), paused: true, time })
    const radios = auto.filter((i) => i.type === 'radio')
    expect(radios.map((i) => i.type !== 'separator' && i.checked)).toEqual([true, false, false, false])
    expect(radios.map((i) => i.type !== 'separator' && i.enabled)).toEqual([true, true, true, false])
    expect(auto.find((i) => i.type === 'checkbox')).toMatchObject({ checked: true, command: { kind: 'togglePause' } })
    const picked = buildTrayMenu({ status: status({ preferredAccountId: WORK }), paused: false, time }).filter(
      (i) => i.type === 'radio',
    )
    expect(picked.map((i) => i.type !== 'separator' && i.checked)).toEqual([false, true, false, false])
    expect(picked[1]).toMatchObject({ command: { kind: 'pick', accountId: WORK } })
  })

  it('offers to add an account on an empty pool, and counts undelivered notifications', () => {
    const empty = buildTrayMenu({
      status: status({ accounts: [], availableCount: 0, autoPick: null, nextResetAt: null }),
      paused: false,
      time,
    })
    expect(labels(empty).slice(0, 3)).toEqual(['No accounts yet', '—', 'Add an account…'])
    expect(empty.find((i) => i.type !== 'separator' && i.label === 'Launch Claude Code')).toMatchObject({
      enabled: false,
    })
    const undelivered = buildTrayMenu({ status: status({ undeliveredCount: 2 }), paused: false, time })
    expect(labels(undelivered)).toContain('2 notifications not shown…')
  })

  it('picks the icon state and tooltip from the pool', () => {
    expect(trayIconState(status())).toBe('near')
    expect(trayIconState(status({ accounts: [account(WORK, 'w')] }))).toBe('ok')
    expect(trayIconState(status({ availableCount: 0 }))).toBe('exhausted')
    expect(trayIconState(status({ accounts: [] }))).toBe('empty')
    expect(trayTooltip(status({ undeliveredCount: 1 }), time)).toBe(
      'Auth Pool: 1 of 3 accounts available · next reset 14:00 — next session: work-max — 1 notification(s) not shown',
    )
  })

  it('rebuilds once for a burst of changes, through the injected tray factory', async () => {
    const calls: string[] = []
    const fake: TrayLike = {
      setImage: (icon) => void calls.push(`image:${icon}`),
      setToolTip: () => void calls.push('tooltip'),
      setMenu: (items) => void calls.push(`menu:${items.length}`),
      destroy: () => void calls.push('destroy'),
    }
    let builds = 0
    vi.useFakeTimers()
    try {
      const controller = createTrayController({
        createTray: () => fake,
        state: async () => (builds++, { status: status(), paused: false, time }),
        onCommand: () => undefined,
        debounceMs: 20,
      })
      for (let i = 0; i < 10; i++) controller.update()
      await vi.advanceTimersByTimeAsync(19)
      expect(builds).toBe(0) // still gathering the burst
      await vi.advanceTimersByTimeAsync(1_000)
      expect(builds).toBe(1)
      expect(calls).toEqual(['image:near', 'tooltip', 'menu:13'])
      controller.dispose()
      controller.update()
      await vi.advanceTimersByTimeAsync(1_000)
      expect(builds).toBe(1)
      expect(calls.at(-1)).toBe('destroy')
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('native notifier', () => {
  const notification: PoolNotification = {
    id: 'n1',
    kind: 'usage_threshold',
    title: 'work-max at 90%',
    body: 'resets 14:00',
    accountId: WORK,
    suggestedAccountId: HOME,
  }

  class FakeNotification implements NotificationLike {
    static created: FakeNotification[] = []
    listeners = new Map<string, (...args: unknown[]) => void>()
    constructor(
      readonly options: { title: string; body: string; actions: { type: 'button'; text: string }[] },
      private readonly behaviour: 'show' | 'fail' | 'throw',
    ) {
      FakeNotification.created.push(this)
    }
    on(event: string, listener: (...args: never[]) => void): void {
      this.listeners.set(event, listener as (...args: unknown[]) => void)
    }
    show(): void {
      if (this.behaviour === 'throw') throw new Error('D-Bus is not running')
      queueMicrotask(() =>
        this.behaviour === 'show'
          ? this.listeners.get('show')?.()
          : this.listeners.get('failed')?.({}, 'denied by the system'),
      )
    }
  }

  function notifier(behaviour: 'show' | 'fail' | 'throw', supported = true) {
    const clicks: string[] = []
    const launches: string[] = []
    const n = createNativeNotifier({
      isSupported: () => supported,
      create: (options) => new FakeNotification(options, behaviour),
      accountName: (id) => (id === HOME ? 'personal' : undefined),
      onClick: (x) => void clicks.push(x.id),
      onLaunch: (id) => void launches.push(id),
    })
    return { n, clicks, launches }
  }

  it('shows with a "Launch on …" action, and routes click and action', async () => {
    const { n, clicks, launches } = notifier('show')
    await n.notify(notification)
    const shown = FakeNotification.created.at(-1)!
    expect(shown.options.actions).toEqual([{ type: 'button', text: 'Launch on personal' }])
    shown.listeners.get('click')!()
    shown.listeners.get('action')!({}, 0)
    expect(clicks).toEqual(['n1'])
    expect(launches).toEqual([HOME])
  })

  it('rejects when unsupported, refused or throwing, so the engine keeps it as undelivered', async () => {
    await expect(notifier('show', false).n.notify(notification)).rejects.toThrow(/not supported/)
    await expect(notifier('fail').n.notify(notification)).rejects.toThrow(/denied by the system/)
    await expect(notifier('throw').n.notify(notification)).rejects.toThrow(/D-Bus/)
  })
})

describe('security', () => {
  it('sandboxes every window and isolates its context', () => {
    expect(SECURE_WEB_PREFERENCES).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
    })
    expect(CONTENT_SECURITY_POLICY).toMatch(/default-src 'none'/)
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|http:|https:/)
  })

  it('allows only listed https links out, and only our own pages in', () => {
    expect(isAllowedExternalUrl('https://docs.anthropic.com/en/docs/claude-code')).toBe(true)
    expect(isAllowedExternalUrl('http://docs.anthropic.com/')).toBe(false)
    expect(isAllowedExternalUrl('https://docs.anthropic.com.evil.example/')).toBe(false)
    expect(isAllowedExternalUrl('https://user:pw@claude.ai/')).toBe(false)
    expect(isAllowedExternalUrl('file:///etc/passwd')).toBe(false)
    const app = {}
    expect(isAppUrl('app://dashboard/index.html#/rules', app)).toBe(true)
    expect(isAppUrl('file:///opt/app/out/renderer/index.html', app)).toBe(false) // served from app:// only
    expect(isAppUrl('file:///etc/passwd', app)).toBe(false)
    expect(isAppUrl('app://elsewhere/index.html', app)).toBe(false)
    // What the app scheme serves: files of the renderer's folder, nothing above it.
    const dir = '/opt/app/out/renderer'
    expect(rendererFileFor('app://dashboard/index.html', dir)).toBe('/opt/app/out/renderer/index.html')
    expect(rendererFileFor('app://dashboard/assets/index-x.js?v=1', dir)).toBe(
      '/opt/app/out/renderer/assets/index-x.js',
    )
    // The URL parser folds dot segments before the folder is joined: they cannot climb out.
    expect(rendererFileFor('app://dashboard/../../../etc/passwd', dir)).toBe('/opt/app/out/renderer/etc/passwd')
    expect(rendererFileFor('app://dashboard/%2e%2e/%2e%2e/etc/passwd', dir)).toBe('/opt/app/out/renderer/etc/passwd')
    for (const bad of [
      'app://dashboard/assets/%2e%2e%2f..%2fmain%2findex.js',
      'app://dashboard/%00',
      'app://dashboard/',
      'app://other/index.html',
      'file:///opt/app/out/renderer/index.html',
    ])
      expect(rendererFileFor(bad, dir), bad).toBeNull()
    expect(isAppUrl('http://localhost:5173/', { ...app, devServerUrl: 'http://localhost:5173/' })).toBe(true)
    expect(isAppUrl('http://localhost:5174/', { ...app, devServerUrl: 'http://localhost:5173/' })).toBe(false)
  })

  it('denies navigation and new windows, opening allowed links in the browser instead', () => {
    const handlers = new Map<string, (...args: never[]) => unknown>()
    let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined
    const contents: WebContentsLike = {
      id: 1,
      on: (event: string, listener: (...args: never[]) => unknown) => void handlers.set(event, listener),
      setWindowOpenHandler: (h) => void (openHandler = h),
    } as WebContentsLike
    const opened: string[] = []
    hardenWebContents(contents, {
      isAppUrl: (u) => u.startsWith('file:///app/'),
      openExternal: (u) => void opened.push(u),
    })
    let prevented = 0
    const event = { preventDefault: () => void prevented++ }
    ;(handlers.get('will-navigate') as (e: typeof event, u: string) => void)(event, 'https://evil.example/')
    ;(handlers.get('will-navigate') as (e: typeof event, u: string) => void)(event, 'file:///app/index.html')
    ;(handlers.get('will-navigate') as (e: typeof event, u: string) => void)(event, 'https://claude.ai/settings')
    expect(prevented).toBe(2)
    expect(openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
    expect(openHandler!({ url: 'https://status.anthropic.com/' })).toEqual({ action: 'deny' })
    expect(opened).toEqual(['https://claude.ai/settings', 'https://status.anthropic.com/'])
  })
})
