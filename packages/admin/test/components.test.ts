import { render, screen } from '@testing-library/svelte'
import { describe, expect, it } from 'vitest'
import BarChart from '../src/components/BarChart.svelte'
import ColumnChart from '../src/components/ColumnChart.svelte'
import DataTable from '../src/components/DataTable.svelte'

describe('DataTable', () => {
  it('cuts long JSON cells short and keeps the whole text in the title', () => {
    const details = { reason: 'x'.repeat(200), nested: { deep: true } }
    render(DataTable, { label: 'Audit', columns: [{ key: 'action', label: 'Action' }, { key: 'details', label: 'Details', max: 40 }], rows: [{ id: '1', action: 'auth.login', details }] })
    const cell = screen.getByRole('table').querySelector<HTMLSpanElement>('td[data-column="details"] span')!
    expect(cell.textContent).toHaveLength(40)
    expect(cell.textContent.endsWith('…')).toBe(true)
    expect(cell.getAttribute('title')).toBe(JSON.stringify(details))
    expect(screen.getByText('auth.login').getAttribute('title')).toBeNull()
  })

  it('says when there is nothing to show', () => {
    render(DataTable, { label: 'Users', columns: [{ key: 'name', label: 'Name' }], rows: [], empty: 'No account matches.' })
    expect(screen.getByText('No account matches.')).toBeTruthy()
  })
})

describe('charts', () => {
  it('draws one bar per item, scaled to the largest, with its value', () => {
    render(BarChart, { title: 'By status', bars: [{ label: 'available', value: 30 }, { label: 'sent', value: 15 }, { label: 'lost', value: 0 }] })
    const bars = [...document.querySelectorAll('[data-bar]')]
    expect(bars.map((bar) => [bar.getAttribute('data-bar'), bar.getAttribute('data-value')])).toEqual([['available', '30'], ['sent', '15'], ['lost', '0']])
    const widths = bars.map((bar) => Number(bar.querySelector('rect')!.getAttribute('width')))
    expect(widths[0]).toBeCloseTo(widths[1]! * 2)
    expect(widths[2]).toBe(0)
    expect(screen.getByRole('img', { name: 'By status' })).toBeTruthy()
  })

  it('stacks a day’s series into one column', () => {
    render(ColumnChart, {
      title: 'Activity per day',
      series: [{ key: 'ship', label: 'Shipped', color: 'red' }, { key: 'return', label: 'Returned', color: 'blue' }],
      points: [{ x: '2026-12-01', values: { ship: 3, return: 1 } }, { x: '2026-12-02', values: { ship: 0, return: 2 } }],
    })
    const columns = [...document.querySelectorAll('[data-x]')]
    expect(columns.map((column) => column.getAttribute('data-total'))).toEqual(['4', '2'])
    expect(columns[0]!.querySelectorAll('rect')).toHaveLength(2)
    expect(columns[1]!.querySelectorAll('rect')).toHaveLength(1)
    expect(screen.getByText('Returned')).toBeTruthy()
  })
})
