//! Terraform plans for the single-line tests and benchmark, shared by
//! `tests/large_inputs.rs` and `benches/scan.rs`.

/// A plan of `count` unencrypted EBS volumes (one finding each), as
/// `terraform show -json` writes it (one line) or pretty-printed.
pub fn volume_plan(count: usize, pretty: bool) -> String {
    let resources: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            serde_json::json!({
                "address": format!("aws_ebs_volume.data[{i}]"),
                "mode": "managed",
                "type": "aws_ebs_volume",
                "name": "data",
                "index": i,
                "values": {"availability_zone": "eu-west-1a", "encrypted": false, "size": 20},
            })
        })
        .collect();
    let plan = serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": resources}},
    });
    let text = if pretty {
        serde_json::to_string_pretty(&plan)
    } else {
        serde_json::to_string(&plan)
    };
    text.unwrap_or_default()
}
