// Stock GNOME shows no tray icons: only with the AppIndicator extension does Auth Pool's icon appear.
// Said once at the first start there (the README says it too).

export function needsTrayHint(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): boolean {
  return platform === 'linux' && /(^|:)gnome(:|$)/i.test(env.XDG_CURRENT_DESKTOP ?? '')
}

export const TRAY_HINT = {
  title: 'Auth Pool is running',
  body:
    'GNOME shows tray icons only with the AppIndicator extension (package gnome-shell-extension-appindicator). ' +
    'Until then, start Auth Pool again to open its dashboard.',
} as const
