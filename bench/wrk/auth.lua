-- wrk script: authenticated GET with keep-alive, optionally paced.
-- TOKEN: bearer token; DELAY_MS: pause per request per connection (0 = flat out).
local token = os.getenv("TOKEN") or ""
local pause = tonumber(os.getenv("DELAY_MS") or "0")

wrk.headers["Authorization"] = "Bearer " .. token

function delay()
	return pause
end
