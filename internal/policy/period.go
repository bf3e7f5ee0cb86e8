package policy

import "time"

// period is a span that a limit is counted over.
type period int

const (
	day period = iota
	week
	month
	numPeriods
	minute // rate limits; not a budget period
)

// key is the period's name in the policy file's budget.
func (p period) key() string {
	switch p {
	case day:
		return "daily_usd"
	case week:
		return "weekly_usd"
	case month:
		return "monthly_usd"
	}
	return "per_minute"
}

// noun names the period in messages.
func (p period) noun() string {
	switch p {
	case day:
		return "daily"
	case week:
		return "weekly"
	case month:
		return "monthly"
	}
	return "per-minute"
}

// window is the period that holds t: its start and its end, in loc. Days
// start at midnight, weeks on Monday, months on the 1st; a minute is
// counted in whole minutes of the clock.
func (p period) window(t time.Time, loc *time.Location) (start, end time.Time) {
	t = t.In(loc)
	y, m, d := t.Date()
	switch p {
	case minute:
		start = t.Truncate(time.Minute)
		return start, start.Add(time.Minute)
	case day:
		start = time.Date(y, m, d, 0, 0, 0, 0, loc)
		return start, time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	case week:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		start = time.Date(y, m, d-back, 0, 0, 0, 0, loc)
		return start, time.Date(y, m, d-back+7, 0, 0, 0, 0, loc)
	default:
		start = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		return start, time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	}
}
