/**
 * The app's id: electron-builder.yml's `appId` (the installer registers it) and what the app passes to
 * `app.setAppUserModelId` on Windows, where notifications of an app whose two ids differ are dropped.
 */
export const APP_ID = 'dev.authpool.app'
