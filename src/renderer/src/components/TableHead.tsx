/** A table's header row; numeric columns are right-aligned like their cells. */
export function TableHead(props: {
  columns: readonly (string | { label: string; numeric?: boolean; hidden?: boolean })[]
}) {
  return (
    <thead>
      <tr>
        {props.columns.map((c) => {
          const column = typeof c === 'string' ? { label: c } : c
          return (
            <th key={column.label} scope="col" className={column.numeric ? 'num' : undefined}>
              {column.hidden ? <span className="sr-only">{column.label}</span> : column.label}
            </th>
          )
        })}
      </tr>
    </thead>
  )
}
