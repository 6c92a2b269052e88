package main

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The seed's item (tests/data/seed_item.json: flags as binary "true"/"false") decodes as
// common.mjs's toApp decodes it.
func TestToAppSeedItem(t *testing.T) {
	item := map[string]types.AttributeValue{
		"AppId":                     &types.AttributeValueMemberS{Value: "app-id"},
		"AppKey":                    &types.AttributeValueMemberS{Value: "app-key"},
		"AppSecret":                 &types.AttributeValueMemberS{Value: "app-secret"},
		"MaxConnections":            &types.AttributeValueMemberN{Value: "-1"},
		"EnableClientMessages":      &types.AttributeValueMemberB{Value: []byte("false")},
		"Enabled":                   &types.AttributeValueMemberB{Value: []byte("true")},
		"MaxBackendEventsPerSecond": &types.AttributeValueMemberN{Value: "-1"},
		"MaxClientEventsPerSecond":  &types.AttributeValueMemberN{Value: "-1"},
		"MaxReadRequestsPerSecond":  &types.AttributeValueMemberN{Value: "200"},
		"Webhooks":                  &types.AttributeValueMemberS{Value: `[{"url":"http://h/","event_types":["channel_occupied"]}]`},
		"EnableUserAuthentication":  &types.AttributeValueMemberBOOL{Value: true},
	}
	a, err := toApp(item)
	if err != nil {
		t.Fatal(err)
	}
	want := app{id: "app-id", key: "app-key", secret: "app-secret", enabled: true, enableUserAuth: true,
		maxConnections: -1, maxBackendEvents: -1, maxClientEvents: -1, maxReadRequests: 200,
		webhooks: []any{map[string]any{"url": "http://h/", "event_types": []any{"channel_occupied"}}}}
	if !reflect.DeepEqual(*a, want) {
		t.Fatalf("got %+v, want %+v", *a, want)
	}
}

// Absent optional fields take toApp's defaults; a missing AppId is an error, not an empty app.
func TestToAppDefaultsAndMissingId(t *testing.T) {
	a, err := toApp(map[string]types.AttributeValue{
		"AppId":     &types.AttributeValueMemberS{Value: "i"},
		"AppKey":    &types.AttributeValueMemberS{Value: "k"},
		"AppSecret": &types.AttributeValueMemberS{Value: "s"},
		"Enabled":   &types.AttributeValueMemberNULL{Value: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !a.enabled || a.enableClientMessages || a.maxConnections != -1 || !reflect.DeepEqual(a.webhooks, []any{}) {
		t.Fatalf("defaults: %+v", *a)
	}
	if _, err := toApp(map[string]types.AttributeValue{"AppKey": &types.AttributeValueMemberS{Value: "k"}}); err == nil {
		t.Fatal("an item without AppId decoded")
	}
}
