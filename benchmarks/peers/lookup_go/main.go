// lookup-go — the load program's peer on the AWS SDK for Go v2 (aws-sdk-go-v2, service/dynamodb):
//
//	lookup-go --endpoint URL --mode id|key --lookups N --concurrency C
//
// The same command line, lookups and JSON line as pws-bench and the JavaScript peers (see
// common.mjs): N lookups of app-id (GetItem) or app-key (Query on AppKeyIndex, Limit 2), C in
// flight, each answer decoded into an app the way common.mjs's toApp does, then one line
//
//	{"lookups":N,"requests":R,"errors":E,"wall_s":..,"cpu_us_per_lookup":..,"user_us_per_lookup":..,
//	 "sys_us_per_lookup":..,"p50_us":..,"p99_us":..}
//
// requests = HTTP attempts (counted in the Deserialize step, which runs once per attempt, inside
// the retry loop); cpu = getrusage(RUSAGE_SELF) over the lookups, every thread of the process.
// Exits 1 if any lookup failed (the first error on stderr), 2 on a usage error. Table, region and
// credentials come from APP_MANAGER_DYNAMODB_TABLE (apps), APP_MANAGER_DYNAMODB_REGION
// (us-east-1), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, as a static
// credentials provider: no config files, no IMDS. The endpoint is --endpoint through the client's
// EndpointResolver (this SDK release, Debian's 1.17, predates BaseEndpoint). Retries are the SDK's
// defaults (the standard retryer, 3 attempts), where the JavaScript peers are set to 4 attempts,
// pws's default: against the canned server no request is retried, so requests = lookups anyway.
//
// Built by benchmarks/run with Debian's packages only, no module download:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o lookup-go ./benchmarks/peers/lookup_go
//
// Threads: GOMAXPROCS is left to the Go runtime, which sets it from the CPU affinity mask. The run
// pins every client to one CPU (taskset -c 0), so Go runs its goroutines on one P there: one CPU,
// as pws-bench (one thread) and Node (one JavaScript thread) get. Forcing GOMAXPROCS(1) would
// change nothing under taskset, and unpinned it would hold Go to less than Go programs get by
// default; pinning, not GOMAXPROCS, is what makes the comparison fair. As with Node's GC and
// libuv threads, the runtime's own threads (GC workers, sysmon, the netpoller) count in the CPU
// figures: getrusage covers the whole process.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

const name = "lookup-go"

func usage(why string) {
	fmt.Fprintf(os.Stderr, "%s: %s\n", name, why)
	fmt.Fprintf(os.Stderr, "usage: %s --endpoint URL --mode id|key --lookups N --concurrency C\n", name)
	os.Exit(2)
}

type options struct {
	endpoint, table, region, keyIndex string
	byKey                             bool
	lookups, concurrency              int
	accessKey, secretKey, token       string
}

var positiveInt = regexp.MustCompile(`^[1-9][0-9]*$`)

func parseOptions() options {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	endpoint := fs.String("endpoint", "", "")
	mode := fs.String("mode", "", "")
	lookups := fs.String("lookups", "", "")
	concurrency := fs.String("concurrency", "", "")
	cache := fs.Bool("cache", false, "")
	if err := fs.Parse(os.Args[1:]); err != nil {
		usage(err.Error())
	}
	if fs.NArg() > 0 {
		usage("unexpected argument " + fs.Arg(0))
	}
	if *cache {
		usage("--cache: this SDK has no app cache")
	}
	positive := func(s, flag string) int {
		n, err := strconv.Atoi(s)
		if !positiveInt.MatchString(s) || err != nil {
			usage(flag + " takes a positive integer")
		}
		return n
	}
	if *endpoint == "" {
		usage("--endpoint URL is required")
	}
	if *mode != "id" && *mode != "key" {
		usage("--mode is id or key")
	}
	o := options{
		endpoint:  *endpoint,
		byKey:     *mode == "key",
		table:     envOr("APP_MANAGER_DYNAMODB_TABLE", "apps"),
		region:    envOr("APP_MANAGER_DYNAMODB_REGION", "us-east-1"),
		keyIndex:  "AppKeyIndex",
		accessKey: os.Getenv("AWS_ACCESS_KEY_ID"),
		secretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		token:     os.Getenv("AWS_SESSION_TOKEN"),
	}
	if o.accessKey == "" || o.secretKey == "" {
		usage("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	o.lookups = positive(*lookups, "--lookups")
	o.concurrency = positive(*concurrency, "--concurrency")
	return o
}

func envOr(key, dflt string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return dflt
}

// app is the item decoded, field for field as common.mjs's toApp builds it.
type app struct {
	id, key, secret                                   string
	enabled, enableClientMessages, enableUserAuth     bool
	maxConnections, maxBackendEvents, maxClientEvents int64
	maxReadRequests                                   int64
	webhooks                                          any
}

// flagOf is common.mjs's flag(): BOOL, binary "true", string "true"/"1", or number 1.
func flagOf(v types.AttributeValue, dflt bool) bool {
	switch a := v.(type) {
	case nil:
		return dflt
	case *types.AttributeValueMemberNULL:
		return dflt
	case *types.AttributeValueMemberBOOL:
		return a.Value
	case *types.AttributeValueMemberB:
		return string(a.Value) == "true"
	case *types.AttributeValueMemberS:
		return a.Value == "true" || a.Value == "1"
	case *types.AttributeValueMemberN:
		return a.Value == "1"
	}
	return false
}

// intOf is common.mjs's int(): the number, or the default when absent or not a number attribute.
func intOf(item map[string]types.AttributeValue, field string, dflt int64) (int64, error) {
	n, ok := item[field].(*types.AttributeValueMemberN)
	if !ok {
		return dflt, nil
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not an integer", field, n.Value)
	}
	return v, nil
}

func stringOf(item map[string]types.AttributeValue, field string) (string, error) {
	s, ok := item[field].(*types.AttributeValueMemberS)
	if !ok {
		return "", fmt.Errorf("the item has no string %s", field)
	}
	return s.Value, nil
}

// toApp decodes the item like common.mjs's toApp (which soketi's DynamoDB driver does too):
// the identifiers, the flags, the limits, and Webhooks parsed from its JSON string.
func toApp(item map[string]types.AttributeValue) (*app, error) {
	var a app
	var err error
	if a.id, err = stringOf(item, "AppId"); err != nil {
		return nil, err
	}
	if a.key, err = stringOf(item, "AppKey"); err != nil {
		return nil, err
	}
	if a.secret, err = stringOf(item, "AppSecret"); err != nil {
		return nil, err
	}
	a.enabled = flagOf(item["Enabled"], true)
	a.enableClientMessages = flagOf(item["EnableClientMessages"], false)
	a.enableUserAuth = flagOf(item["EnableUserAuthentication"], false)
	for _, f := range []struct {
		field string
		to    *int64
	}{
		{"MaxConnections", &a.maxConnections},
		{"MaxBackendEventsPerSecond", &a.maxBackendEvents},
		{"MaxClientEventsPerSecond", &a.maxClientEvents},
		{"MaxReadRequestsPerSecond", &a.maxReadRequests},
	} {
		if *f.to, err = intOf(item, f.field, -1); err != nil {
			return nil, err
		}
	}
	if w, ok := item["Webhooks"].(*types.AttributeValueMemberS); ok && w.Value != "" {
		if err := json.Unmarshal([]byte(w.Value), &a.webhooks); err != nil {
			return nil, fmt.Errorf("Webhooks: %v", err)
		}
	} else {
		a.webhooks = []any{}
	}
	return &a, nil
}

func main() {
	o := parseOptions()

	// C keep-alive connections, as the JavaScript peers' agents (maxSockets: C) and pws-bench's
	// pool keep: the SDK's transport would keep 10 idle per host, and open any number.
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxConnsPerHost = o.concurrency
		t.MaxIdleConnsPerHost = o.concurrency
		if t.MaxIdleConns < o.concurrency {
			t.MaxIdleConns = o.concurrency
		}
	})
	var requests atomic.Int64
	countRequests := func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("pwsBenchCountRequests",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
				middleware.DeserializeOutput, middleware.Metadata, error) {
				requests.Add(1)
				return next.HandleDeserialize(ctx, in)
			}), middleware.After)
	}
	client := dynamodb.New(dynamodb.Options{
		Region:           o.region,
		Credentials:      credentials.NewStaticCredentialsProvider(o.accessKey, o.secretKey, o.token),
		EndpointResolver: dynamodb.EndpointResolverFromURL(o.endpoint),
		HTTPClient:       httpClient,
		APIOptions:       []func(*middleware.Stack) error{countRequests},
	})

	ctx := context.Background()
	var lookup func() (*app, error)
	if o.byKey {
		input := &dynamodb.QueryInput{
			TableName:                 aws.String(o.table),
			IndexName:                 aws.String(o.keyIndex),
			KeyConditionExpression:    aws.String("AppKey = :app_key"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":app_key": &types.AttributeValueMemberS{Value: "app-key"}},
			Limit:                     aws.Int32(2),
		}
		lookup = func() (*app, error) {
			out, err := client.Query(ctx, input)
			if err != nil {
				return nil, err
			}
			if len(out.Items) > 1 {
				return nil, errors.New("more than one app has this key")
			}
			if len(out.Items) == 0 {
				return nil, nil
			}
			return toApp(out.Items[0])
		}
	} else {
		input := &dynamodb.GetItemInput{
			TableName: aws.String(o.table),
			Key:       map[string]types.AttributeValue{"AppId": &types.AttributeValueMemberS{Value: "app-id"}},
		}
		lookup = func() (*app, error) {
			out, err := client.GetItem(ctx, input)
			if err != nil {
				return nil, err
			}
			if out.Item == nil {
				return nil, nil
			}
			return toApp(out.Item)
		}
	}

	latencies := make([]float64, o.lookups)
	var next, failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var found atomic.Int64 // the decoded apps are used, so that decoding is not work thrown away
	worker := func(wg *sync.WaitGroup) {
		defer wg.Done()
		for {
			i := next.Add(1) - 1
			if i >= int64(o.lookups) {
				return
			}
			t0 := time.Now()
			a, err := lookup()
			if err == nil && a == nil {
				err = errors.New("no such app (the server does not hold the seed's app)")
			}
			if err != nil {
				failed.Add(1)
				errOnce.Do(func() { firstErr = err })
			} else if a.id == "app-id" {
				found.Add(1)
			}
			latencies[i] = float64(time.Since(t0).Nanoseconds()) / 1000
		}
	}

	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	t0 := time.Now()
	var wg sync.WaitGroup
	wg.Add(o.concurrency)
	for w := 0; w < o.concurrency; w++ {
		go worker(&wg)
	}
	wg.Wait()
	wall := time.Since(t0).Seconds()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)

	us := func(a, b syscall.Timeval) float64 {
		return float64(b.Sec-a.Sec)*1e6 + float64(b.Usec-a.Usec)
	}
	per := 1 / float64(o.lookups)
	user, sys := us(ru0.Utime, ru1.Utime)*per, us(ru0.Stime, ru1.Stime)*per
	sort.Float64s(latencies)
	q := func(p float64) float64 {
		i := int(p * float64(len(latencies)))
		if i > len(latencies)-1 {
			i = len(latencies) - 1
		}
		return latencies[i]
	}
	fmt.Printf("{\"lookups\":%d,\"requests\":%d,\"errors\":%d,\"wall_s\":%.4f,\"cpu_us_per_lookup\":%.3f,"+
		"\"user_us_per_lookup\":%.3f,\"sys_us_per_lookup\":%.3f,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
		o.lookups, requests.Load(), failed.Load(), wall, user+sys, user, sys, q(0.5), q(0.99))
	if n := failed.Load(); n > 0 {
		fmt.Fprintf(os.Stderr, "%d of %d lookups failed; the first: %v\n", n, o.lookups, firstErr)
		os.Exit(1)
	}
	if found.Load() != int64(o.lookups) {
		fmt.Fprintf(os.Stderr, "%s: %d of %d lookups decoded another app than app-id\n", name, int64(o.lookups)-found.Load(), o.lookups)
		os.Exit(1)
	}
}
