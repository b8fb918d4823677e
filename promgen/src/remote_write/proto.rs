//! The Remote Write messages, as hand-written `prost` derives (no `protoc`, no build script).
//!
//! These are the schema: receivers in tests decode with them, and the encoder's output is
//! checked byte for byte against them. The encoder itself ([`super::Encoder`]) writes the
//! same wire format directly, from label sets encoded once, without building messages.

/// Remote Write 1.0: `package prometheus` (`prompb/remote.proto`, `prompb/types.proto`).
pub mod v1 {
    /// `prometheus.WriteRequest`. Field 2 is reserved (Cortex); field 3, metadata, is what
    /// Prometheus sends although the 1.0 spec leaves it out as experimental.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct WriteRequest {
        /// The series and their samples.
        #[prost(message, repeated, tag = "1")]
        pub timeseries: Vec<TimeSeries>,
        /// One entry per metric family.
        #[prost(message, repeated, tag = "3")]
        pub metadata: Vec<MetricMetadata>,
    }

    /// `prometheus.TimeSeries`: a complete, sorted label set and samples in time order.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TimeSeries {
        /// Sorted by name, `__name__` included.
        #[prost(message, repeated, tag = "1")]
        pub labels: Vec<Label>,
        /// Oldest first.
        #[prost(message, repeated, tag = "2")]
        pub samples: Vec<Sample>,
    }

    /// `prometheus.Label`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct Label {
        /// The label name.
        #[prost(string, tag = "1")]
        pub name: String,
        /// The label value.
        #[prost(string, tag = "2")]
        pub value: String,
    }

    /// `prometheus.Sample`.
    #[derive(Clone, Copy, PartialEq, prost::Message)]
    pub struct Sample {
        /// The value; a stale marker is the NaN with bits `0x7ff0000000000002`.
        #[prost(double, tag = "1")]
        pub value: f64,
        /// Milliseconds since the Unix epoch.
        #[prost(int64, tag = "2")]
        pub timestamp: i64,
    }

    /// `prometheus.MetricMetadata`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct MetricMetadata {
        /// A [`MetricType`].
        #[prost(enumeration = "MetricType", tag = "1")]
        pub r#type: i32,
        /// The family name (without `_bucket`, `_sum`, …).
        #[prost(string, tag = "2")]
        pub metric_family_name: String,
        /// The HELP text.
        #[prost(string, tag = "4")]
        pub help: String,
        /// The unit.
        #[prost(string, tag = "5")]
        pub unit: String,
    }

    /// `prometheus.MetricMetadata.MetricType`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum MetricType {
        /// Untyped.
        Unknown = 0,
        /// Counter.
        Counter = 1,
        /// Gauge.
        Gauge = 2,
        /// Classic histogram.
        Histogram = 3,
        /// Gauge histogram.
        Gaugehistogram = 4,
        /// Summary.
        Summary = 5,
        /// Info.
        Info = 6,
        /// State set.
        Stateset = 7,
    }
}

/// Remote Write 2.0: `package io.prometheus.write.v2`, in the 2.0-rc.4 layout (start
/// timestamps on samples; `TimeSeries` field 6 reserved, where rc.3 had
/// `created_timestamp`). Fields 1 to 3 of `Request` are reserved so that a 1.0 receiver
/// that ignores the content type decodes a 2.0 body as an empty 1.0 request.
pub mod v2 {
    /// `io.prometheus.write.v2.Request`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Request {
        /// Every string the request refers to; the first is always `""`.
        #[prost(string, repeated, tag = "4")]
        pub symbols: Vec<String>,
        /// The series.
        #[prost(message, repeated, tag = "5")]
        pub timeseries: Vec<TimeSeries>,
    }

    /// `io.prometheus.write.v2.TimeSeries`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TimeSeries {
        /// Name and value references into `symbols`, in pairs, sorted by name.
        #[prost(uint32, repeated, tag = "1")]
        pub labels_refs: Vec<u32>,
        /// Oldest first.
        #[prost(message, repeated, tag = "2")]
        pub samples: Vec<Sample>,
        /// The family's type and help.
        #[prost(message, optional, tag = "5")]
        pub metadata: Option<Metadata>,
    }

    /// `io.prometheus.write.v2.Sample`.
    #[derive(Clone, Copy, PartialEq, prost::Message)]
    pub struct Sample {
        /// The value; a stale marker is the NaN with bits `0x7ff0000000000002`.
        #[prost(double, tag = "1")]
        pub value: f64,
        /// Milliseconds since the Unix epoch.
        #[prost(int64, tag = "2")]
        pub timestamp: i64,
        /// When a counter started (0 = not given).
        #[prost(int64, tag = "3")]
        pub start_timestamp: i64,
    }

    /// `io.prometheus.write.v2.Metadata`.
    #[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
    pub struct Metadata {
        /// A [`MetricType`].
        #[prost(enumeration = "MetricType", tag = "1")]
        pub r#type: i32,
        /// The HELP text, as a symbol (0 = none).
        #[prost(uint32, tag = "3")]
        pub help_ref: u32,
        /// The unit, as a symbol (0 = none).
        #[prost(uint32, tag = "4")]
        pub unit_ref: u32,
    }

    /// `io.prometheus.write.v2.Metadata.MetricType`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum MetricType {
        /// `METRIC_TYPE_UNSPECIFIED`.
        Unspecified = 0,
        /// `METRIC_TYPE_COUNTER`.
        Counter = 1,
        /// `METRIC_TYPE_GAUGE`.
        Gauge = 2,
        /// `METRIC_TYPE_HISTOGRAM`.
        Histogram = 3,
        /// `METRIC_TYPE_GAUGEHISTOGRAM`.
        Gaugehistogram = 4,
        /// `METRIC_TYPE_SUMMARY`.
        Summary = 5,
        /// `METRIC_TYPE_INFO`.
        Info = 6,
        /// `METRIC_TYPE_STATESET`.
        Stateset = 7,
    }
}

/// The wire number of a metric type; the two enums agree on every value.
pub(crate) const fn metric_type_number(t: crate::MetricType) -> i32 {
    use crate::MetricType as T;
    match t {
        T::Untyped => 0,
        T::Counter => 1,
        T::Gauge => 2,
        T::Histogram => 3,
        T::Summary => 5,
    }
}
