export function App() {
  return (
    <main>
      <h1>Auth Pool</h1>
      <p>The dashboard arrives with the dashboard issue; the tray and the auth-pool command work today.</p>
    </main>
  )
}
