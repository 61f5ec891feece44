/** One bar: its parts stacked bottom-up (one per account), each with the series it belongs to. */
export interface StackedBar {
  readonly label: string
  readonly parts: readonly { readonly series: number; readonly value: number }[]
  readonly hint: string
}

/** A hand-written SVG stacked bar chart: a picture of the numbers (the table view has them exactly). */
export function BarChart(props: {
  title: string
  bars: readonly StackedBar[]
  /** The series' names, in order: the legend (and each part's colour, `series-N`). */
  series: readonly string[]
  format: (v: number) => string
}) {
  const width = 640
  const height = 180
  const pad = { left: 48, bottom: 22, top: 10 }
  const total = (bar: StackedBar) => bar.parts.reduce((n, p) => n + p.value, 0)
  const max = Math.max(1e-9, ...props.bars.map(total))
  // At least 14 slots, so a few bars stay bar-shaped instead of filling the chart.
  const slot = (width - pad.left) / Math.max(14, props.bars.length)
  const scale = (v: number) => ((height - pad.bottom - pad.top) * v) / max
  const every = Math.max(1, Math.ceil(props.bars.length / 8))
  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      {props.series.length > 1 && (
        <ul className="legend" aria-label="Accounts">
          {props.series.map((name, i) => (
            <li key={name}>
              <span className={`swatch series-${i % 6}`} aria-hidden="true" /> {name}
            </li>
          ))}
        </ul>
      )}
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${props.title}: ${props.bars.length} bars, highest ${props.format(max)}`}
      >
        <line x1={pad.left} x2={width} y1={height - pad.bottom} y2={height - pad.bottom} className="axis" />
        <text x={pad.left - 6} y={pad.top + 8} className="tick" textAnchor="end">
          {props.format(max)}
        </text>
        <text x={pad.left - 6} y={height - pad.bottom} className="tick" textAnchor="end">
          {props.format(0)}
        </text>
        {props.bars.map((bar, i) => {
          let base = height - pad.bottom
          return (
            <g key={bar.label + i}>
              <title>{bar.hint}</title>
              {bar.parts.map((part) => {
                const h = scale(part.value)
                base -= h
                return (
                  <rect
                    key={part.series}
                    x={pad.left + i * slot + slot * 0.15}
                    width={slot * 0.7}
                    y={base}
                    height={h}
                    className={`bar series-${part.series % 6}`}
                  />
                )
              })}
              {i % every === 0 && (
                <text x={pad.left + i * slot + slot / 2} y={height - 6} className="tick" textAnchor="middle">
                  {bar.label}
                </text>
              )}
            </g>
          )
        })}
      </svg>
    </figure>
  )
}
