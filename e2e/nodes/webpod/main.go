// webpod is the testbed's stand-in for traefik/whoami, which the seed lab's webpod Deployment runs:
// every request is answered with the pod's hostname, its addresses, the client's address and the
// request as received, so a test sees which pod a Service sent it to and from where it came.
// A static binary on the standard library, so its image holds nothing else.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "80"
	}
	// As a container's PID 1 the kernel would drop a signal nobody handles; stopping a pod is no error.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		os.Exit(0)
	}()
	http.HandleFunc("/", describe)
	// No host in the address: one IPv6 socket that takes IPv4 too (v4-mapped), so a pod of the
	// dual-stack cluster answers on both its addresses.
	log.Fatal(http.ListenAndServe(":"+port, nil))
}

func describe(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var b strings.Builder
	hostname, _ := os.Hostname()
	fmt.Fprintf(&b, "Hostname: %s\n", hostname)
	for _, ip := range interfaceIPs() {
		fmt.Fprintf(&b, "IP: %s\n", ip)
	}
	fmt.Fprintf(&b, "RemoteAddr: %s\n", r.RemoteAddr)
	fmt.Fprintf(&b, "%s %s %s\n", r.Method, r.RequestURI, r.Proto)
	// Host and User-Agent first, the rest sorted by name: the order whoami answers in.
	fmt.Fprintf(&b, "Host: %s\n", r.Host)
	if agent := r.Header.Get("User-Agent"); agent != "" {
		fmt.Fprintf(&b, "User-Agent: %s\n", agent)
	}
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		if name != "User-Agent" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		for _, value := range r.Header[name] {
			fmt.Fprintf(&b, "%s: %s\n", name, value)
		}
	}
	_, _ = w.Write([]byte(b.String()))
}

// interfaceIPs lists the address of every interface, loopback included, as whoami does.
func interfaceIPs() []string {
	var ips []string
	interfaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	for _, iface := range interfaces {
		addrs, err := iface.Addrs()
		if err != nil {
			continue
		}
		for _, addr := range addrs {
			if ipNet, ok := addr.(*net.IPNet); ok {
				ips = append(ips, ipNet.IP.String())
			}
		}
	}
	return ips
}
