import { contextBridge } from 'electron'

// The typed window.api arrives with the IPC contract (shell issue); until then the renderer gets only the version.
contextBridge.exposeInMainWorld('authPool', { version: '0.1.0' })
