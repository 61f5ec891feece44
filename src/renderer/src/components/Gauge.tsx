import { percent } from '../format'

/** A budget meter; the tick shows how far through its window the block is. */
export function Gauge(props: { label: string; ratio: number; progress?: number; detail: string; secondary?: string }) {
  const shown = Math.min(1, Math.max(0, props.ratio))
  const level = props.ratio >= 1 ? 'over' : props.ratio >= 0.9 ? 'high' : props.ratio >= 0.75 ? 'warn' : 'ok'
  return (
    <div className="gauge">
      <div className="gauge-head">
        <span>{props.label}</span>
        <span className="num">{percent(props.ratio)}</span>
      </div>
      <div
        className="gauge-track"
        role="meter"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(props.ratio * 100)}
        aria-valuetext={`${percent(props.ratio)} used, ${props.detail}`}
      >
        <div className={`gauge-fill ${level}`} style={{ width: `${shown * 100}%` }} />
        {props.progress !== undefined && (
          <div
            className="gauge-tick"
            style={{ left: `${props.progress * 100}%` }}
            title="time elapsed in this window"
          />
        )}
      </div>
      <div className="gauge-detail">{props.detail}</div>
      {props.secondary && <div className="gauge-detail secondary">{props.secondary}</div>}
    </div>
  )
}
