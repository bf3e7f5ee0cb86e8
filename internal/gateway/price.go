package gateway

import "math"

// PicoUSD is an amount of money in millionths of a millionth of a US dollar.
// Prices and costs are integers so that totals over millions of calls add up
// exactly; a per-token price on Bedrock never has more than 12 decimals.
type PicoUSD int64

// PicoPerUSD is one dollar in PicoUSD.
const PicoPerUSD = 1_000_000_000_000

// USD converts to dollars for display.
func (p PicoUSD) USD() float64 { return float64(p) / PicoPerUSD }

// PicoFromUSD converts a dollar amount, such as a catalog price per token,
// to the nearest PicoUSD.
func PicoFromUSD(usd float64) PicoUSD { return PicoUSD(math.Round(usd * PicoPerUSD)) }

// Price is what one token costs, by kind of token.
type Price struct {
	Input      PicoUSD // per input token
	Output     PicoUSD // per output token
	CacheRead  PicoUSD // per prompt-cache read token; if zero, Input applies
	CacheWrite PicoUSD // per prompt-cache write token; if zero, Input applies
}

// Cost prices a usage. It is exact: no rounding happens until display.
func (p Price) Cost(u Usage) PicoUSD {
	read, write := p.CacheRead, p.CacheWrite
	if read == 0 {
		read = p.Input
	}
	if write == 0 {
		write = p.Input
	}
	return PicoUSD(u.InputTokens)*p.Input +
		PicoUSD(u.OutputTokens)*p.Output +
		PicoUSD(u.CacheReadTokens)*read +
		PicoUSD(u.CacheWriteTokens)*write
}
