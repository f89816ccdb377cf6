-- wrk script: GET /api/v1/customers/lookup?phone= for a random one of N
-- customers' numbers (137 followed by 8 digits), written in a spelling
-- of its own each time (+86, dashes) so normalization is measured too.
-- TOKEN: bearer token; N: how many customers have numbers.
local token = os.getenv("TOKEN") or ""
local n = tonumber(os.getenv("N") or "1000000")
local spellings = { "%s", "+86%%20%s", "0086-%s" }

wrk.headers["Authorization"] = "Bearer " .. token

function init(args)
	math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"),
		16) or 0))
end

function request()
	local num = string.format("137%08d", math.random(1, n))
	local s = spellings[math.random(1, #spellings)]
	return wrk.format("GET", "/api/v1/customers/lookup?phone=" ..
		string.format(s, num))
end
