// pause is the first process of every pod sandbox on the testbed's real nodes: it holds the pod's
// namespaces open, reaps the orphans it inherits as PID 1, and exits on SIGINT or SIGTERM, which is
// all a sandbox process does. A static binary, so its image needs nothing else.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
