// Include this header in exactly one translation unit of a program built with
// PWS_SEPARATE_COMPILATION defined; it holds the bodies of every non-template function.
#pragma once

#ifndef PWS_SEPARATE_COMPILATION
#error "Define PWS_SEPARATE_COMPILATION (for every TU) before including <pws/src.hpp>"
#endif

#include <pws/impl/error.ipp>
#include <pws/aws/impl/sigv4.ipp>
#include <pws/aws/impl/endpoint.ipp>
#include <pws/impl/json.ipp>
#include <pws/impl/redact.ipp>
#include <pws/dynamodb/impl/attribute_value.ipp>
#include <pws/impl/app_json.ipp>
#include <pws/dynamodb/impl/protocol.ipp>
#include <pws/detail/http/impl/stream.ipp>
#include <pws/detail/http/impl/deadline.ipp>
#include <pws/detail/http/impl/tls_context.ipp>
#include <pws/detail/http/impl/error.ipp>
#include <pws/detail/http/impl/connect.ipp>
#include <pws/dynamodb/impl/client.ipp>
#include <pws/dynamodb/impl/retry.ipp>
#include <pws/dynamodb/impl/call_fsm.ipp>
#include <pws/dynamodb/impl/scan.ipp>
#include <pws/dynamodb/impl/operations.ipp>
#include <pws/dynamodb/impl/answer_scan.ipp>
#include <pws/dynamodb/impl/table_schema.ipp>
#include <pws/aws/impl/credentials_parse.ipp>
#include <pws/aws/impl/credentials_cache.ipp>
#include <pws/aws/impl/credentials_http.ipp>
#include <pws/aws/impl/credentials_blocking.ipp>
#include <pws/aws/impl/credentials_sources.ipp>
#include <pws/aws/impl/credentials_remote.ipp>
#include <pws/aws/impl/credentials_provider.ipp>
