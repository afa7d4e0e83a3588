package authz

// alpha3 maps ISO 3166 alpha-3 codes to alpha-2 for the most used
// countries, so that restrictions written as USA or UKR match. Codes not
// listed match only by alpha-2 code or name.
var alpha3 = map[string]string{
	"USA": "US", "UKR": "UA", "RUS": "RU", "GBR": "GB", "DEU": "DE", "FRA": "FR", "CHN": "CN", "JPN": "JP",
	"KOR": "KR", "PRK": "KP", "IRN": "IR", "SYR": "SY", "CUB": "CU", "BLR": "BY", "CAN": "CA", "AUS": "AU",
	"BRA": "BR", "IND": "IN", "ITA": "IT", "ESP": "ES", "NLD": "NL", "POL": "PL", "TUR": "TR", "SGP": "SG",
	"HKG": "HK", "CHE": "CH", "SWE": "SE", "NOR": "NO", "FIN": "FI", "DNK": "DK", "AUT": "AT", "BEL": "BE",
	"IRL": "IE", "PRT": "PT", "GRC": "GR", "CZE": "CZ", "ROU": "RO", "HUN": "HU", "ISR": "IL", "ARE": "AE",
	"SAU": "SA", "ZAF": "ZA", "NGA": "NG", "EGY": "EG", "MEX": "MX", "ARG": "AR", "CHL": "CL", "COL": "CO",
	"VEN": "VE", "PER": "PE", "IDN": "ID", "MYS": "MY", "THA": "TH", "VNM": "VN", "PHL": "PH", "PAK": "PK",
	"BGD": "BD", "KAZ": "KZ", "UZB": "UZ", "GEO": "GE", "ARM": "AM", "AZE": "AZ", "MDA": "MD", "LTU": "LT",
	"LVA": "LV", "EST": "EE", "SVK": "SK", "SVN": "SI", "HRV": "HR", "SRB": "RS", "BGR": "BG", "NZL": "NZ",
}
