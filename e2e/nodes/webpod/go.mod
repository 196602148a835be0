module metalbun.local/webpod

go 1.26.0
