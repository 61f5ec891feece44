import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron'
import { join } from 'node:path'
import type { TrayLike } from './tray'
import type { TrayCommand, TrayItem } from './trayMenu'

/** The thin Electron side of the tray: icons by state, and the pure template turned into a Menu. */
export function createElectronTray(resourcesDir: string): TrayLike {
  const template = process.platform === 'darwin' ? 'Template' : ''
  const image = (state: string) => nativeImage.createFromPath(join(resourcesDir, `tray-${state}-16${template}.png`))
  const tray = new Tray(image('empty'))
  const toElectron = (items: readonly TrayItem[], onCommand: (c: TrayCommand) => void): MenuItemConstructorOptions[] =>
    items.map((item) =>
      item.type === 'separator'
        ? { type: 'separator' }
        : {
            type: item.type,
            label: item.label,
            enabled: item.enabled,
            checked: item.checked,
            toolTip: item.toolTip,
            click: item.command ? () => onCommand(item.command!) : undefined,
          },
    )
  return {
    setImage: (state) => tray.setImage(image(state)),
    setToolTip: (text) => tray.setToolTip(text),
    setMenu: (items, onCommand) => tray.setContextMenu(Menu.buildFromTemplate(toElectron(items, onCommand))),
    destroy: () => tray.destroy(),
  }
}
