"""Generate the demo studio's mockgun schema: python/sgperms/demo_schema.json.

The file holds exactly what shotgun_api3's ``schema_read()`` and
``schema_entity_read()`` return for a mid-size studio site (the shape of
ShotGrid's own mockgun fixture), written by this script from the table below
so that the schema is reviewable and reproducible:

    python scripts/make_demo_schema.py          # rewrite the JSON
    python scripts/make_demo_schema.py --check  # exit 1 if it is stale
"""

import json
import pathlib
import sys

OUT = pathlib.Path(__file__).resolve().parent.parent / "python" / "sgperms" / "demo_schema.json"

STATUS = ["wtg", "rdy", "ip", "rev", "fin", "hld", "omt"]

# entity type -> (display name, project entity?, own fields as (code, display name, data type[, extra]))
ENTITIES = {
    "ActionMenuItem": ("Action Menu Item", False, [("title", "Title", "text"), ("url", "URL", "text"), ("entity_type", "Entity Type", "text")]),
    "ApiUser": ("Script", False, [
        ("firstname", "Script Name", "text"), ("lastname", "Version", "text"), ("email", "Maintainer", "text"),
        ("permission_rule_set", "Permission Group", "entity", ["PermissionRuleSet"]),
        ("salted_password", "Application Key", "text"), ("sg_status_list", "Status", "status_list", ["act", "dis"]),
    ]),
    "Asset": ("Asset", True, [
        ("sg_asset_type", "Type", "list", ["Character", "Prop", "Environment", "Vehicle", "FX"]),
        ("shots", "Shots", "multi_entity", ["Shot"]), ("assets", "Sub Assets", "multi_entity", ["Asset"]),
        ("sg_published_files", "Published Files", "multi_entity", ["PublishedFile"]),
    ]),
    "Attachment": ("File", False, [("this_file", "File/Link", "url"), ("attachment_links", "Links", "multi_entity", ["Note", "Version", "Ticket"]), ("filename", "Filename", "text")]),
    "Booking": ("Booking", False, [("user", "Person", "entity", ["HumanUser"]), ("start_date", "Start Date", "date"), ("end_date", "End Date", "date"), ("vacation", "Vacation", "checkbox")]),
    "Camera": ("Camera", True, [("sg_lens", "Lens", "text"), ("sg_focal_length", "Focal Length", "float")]),
    "ClientUser": ("Client User", False, [
        ("login", "Login", "text"), ("name", "Name", "text"), ("email", "Email", "text"),
        ("permission_rule_set", "Permission Group", "entity", ["PermissionRuleSet"]),
        ("sg_status_list", "Status", "status_list", ["act", "dis"]),
        ("projects", "Projects", "multi_entity", ["Project"]),
    ]),
    "Cut": ("Cut", True, [("entity", "Link", "entity", ["Sequence", "Scene"]), ("fps", "FPS", "float"), ("revision_number", "Revision Number", "number")]),
    "CutItem": ("Cut Item", True, [("cut", "Cut", "entity", ["Cut"]), ("shot", "Shot", "entity", ["Shot"]), ("cut_item_in", "Cut Item In", "number"), ("cut_item_out", "Cut Item Out", "number")]),
    "Delivery": ("Delivery", True, [("title", "Title", "text"), ("sg_delivery_date", "Delivery Date", "date"), ("sg_versions", "Versions", "multi_entity", ["Version"])]),
    "Department": ("Department", False, [("department_type", "Type", "list", ["Art", "Animation", "Lighting", "Production", "Pipeline"]), ("users", "People", "multi_entity", ["HumanUser"])]),
    "Element": ("Element", True, [("shots", "Shots", "multi_entity", ["Shot"])]),
    "Episode": ("Episode", True, [("sequences", "Sequences", "multi_entity", ["Sequence"]), ("sg_air_date", "Air Date", "date")]),
    "EventLogEntry": ("Event Log Entry", False, [
        ("event_type", "Event Type", "text"), ("attribute_name", "Attribute Name", "text"),
        ("entity", "Link", "entity", ["HumanUser", "ApiUser", "PermissionRuleSet", "Project", "Shot", "Asset", "Task", "Version"]),
        ("user", "Who", "entity", ["HumanUser", "ApiUser"]), ("meta", "Meta Data", "serializable"),
        ("session_uuid", "Session UUID", "uuid"),
    ]),
    "Group": ("Group", False, [("users", "Users", "multi_entity", ["HumanUser"]), ("sg_ticket_type", "Ticket Type", "list", ["Bug", "Request"])]),
    "HumanUser": ("Person", False, [
        ("login", "Login", "text"), ("name", "Name", "text"), ("firstname", "First Name", "text"),
        ("lastname", "Last Name", "text"), ("email", "Email", "text"),
        ("permission_rule_set", "Permission Group", "entity", ["PermissionRuleSet"]),
        ("sg_status_list", "Status", "status_list", ["act", "dis"]),
        ("department", "Department", "entity", ["Department"]), ("groups", "Groups", "multi_entity", ["Group"]),
        ("projects", "Projects", "multi_entity", ["Project"]), ("sg_hire_date", "Hire Date", "date"),
    ]),
    "Icon": ("Icon", False, [("image", "Image", "text")]),
    "Level": ("Level", True, [("sg_sequences", "Sequences", "multi_entity", ["Sequence"])]),
    "LocalStorage": ("Local Storage", False, [("linux_path", "Linux Path", "text"), ("mac_path", "Mac Path", "text"), ("windows_path", "Windows Path", "text")]),
    "Note": ("Note", True, [
        ("subject", "Subject", "text"), ("content", "Body", "text"),
        ("note_links", "Links", "multi_entity", ["Shot", "Asset", "Version", "Task", "Sequence"]),
        ("addressings_to", "To", "multi_entity", ["HumanUser", "Group"]), ("addressings_cc", "Cc", "multi_entity", ["HumanUser", "Group"]),
        ("user", "Author", "entity", ["HumanUser", "ApiUser", "ClientUser"]), ("sg_note_type", "Type", "list", ["Client", "Internal", "Director"]),
        ("client_note", "Client Note", "checkbox"),
    ]),
    "Page": ("Page", False, [("entity_type", "Entity Type", "text"), ("shared", "Shared", "checkbox"), ("page_type", "Type", "list", ["Project", "Global"])]),
    "PermissionRuleSet": ("Permission Rule Set", False, [
        ("display_name", "Display Name", "text"), ("entity_type", "Entity Type", "entity_type"),
        ("parent_set", "Parent Permission Role", "entity", ["PermissionRuleSet"]),
    ]),
    "Phase": ("Phase", True, [("start_date", "Start Date", "date"), ("end_date", "End Date", "date"), ("color", "Color", "text")]),
    "PipelineConfiguration": ("Pipeline Configuration", False, [
        ("linux_path", "Linux Path", "text"), ("plugin_ids", "Plugin Ids", "text"),
        ("users", "User Restrictions", "multi_entity", ["HumanUser"]),
    ]),
    "Playlist": ("Playlist", True, [("versions", "Versions", "multi_entity", ["Version"]), ("locked", "Locked", "checkbox"), ("sg_date_and_time", "Date and Time", "date_time")]),
    "Project": ("Project", False, [
        ("name", "Project Name", "text"), ("sg_type", "Type", "list", ["Feature", "Episodic", "Commercial", "Game"]),
        ("users", "People", "multi_entity", ["HumanUser"]), ("archived", "Archived", "checkbox"),
        ("sg_budget", "Budget", "float"), ("start_date", "Start Date", "date"), ("end_date", "End Date", "date"),
    ]),
    "PublishedFile": ("Published File", True, [
        ("path", "Path", "url"), ("published_file_type", "Published File Type", "entity", ["PublishedFileType"]),
        ("task", "Task", "entity", ["Task"]), ("entity", "Link", "entity", ["Shot", "Asset"]),
        ("version_number", "Version Number", "number"), ("version", "Version", "entity", ["Version"]),
    ]),
    "PublishedFileType": ("Published File Type", False, []),
    "Release": ("Release", False, [("tickets", "Tickets", "multi_entity", ["Ticket"]), ("sg_release_date", "Release Date", "date")]),
    "Reply": ("Reply", False, [("entity", "Note", "entity", ["Note"]), ("content", "Body", "text"), ("user", "Author", "entity", ["HumanUser", "ApiUser", "ClientUser"])]),
    "Revision": ("Revision", False, [("sg_repository", "Repository", "text"), ("attachments", "Files", "multi_entity", ["Attachment"])]),
    "Scene": ("Scene", True, [("sg_shots", "Shots", "multi_entity", ["Shot"])]),
    "Sequence": ("Sequence", True, [("shots", "Shots", "multi_entity", ["Shot"]), ("episode", "Episode", "entity", ["Episode"])]),
    "Shot": ("Shot", True, [
        ("sg_sequence", "Sequence", "entity", ["Sequence"]), ("assets", "Assets", "multi_entity", ["Asset"]),
        ("sg_cut_in", "Cut In", "number"), ("sg_cut_out", "Cut Out", "number"), ("sg_cut_duration", "Cut Duration", "number"),
        ("sg_head_in", "Head In", "number"), ("sg_tail_out", "Tail Out", "number"),
        ("sg_shot_type", "Type", "list", ["Hero", "Bg", "Insert"]), ("sg_vendor", "Vendor", "entity", ["Group"]),
    ]),
    "Software": ("Software", False, [("products", "Products", "text"), ("version_names", "Versions", "text"), ("engine", "Engine", "text")]),
    "Status": ("Status", False, [("name", "Status Name", "text"), ("icon", "Icon", "entity", ["Icon"]), ("bg_color", "Background Color", "text")]),
    "Step": ("Pipeline Step", False, [("short_name", "Short Name", "text"), ("entity_type", "Entity Type", "text"), ("color", "Color", "text")]),
    "Tag": ("Tag", False, [("name", "Name", "text")]),
    "Task": ("Task", True, [
        ("content", "Task Name", "text"), ("task_assignees", "Assigned To", "multi_entity", ["HumanUser", "Group"]),
        ("entity", "Link", "entity", ["Shot", "Asset", "Sequence"]), ("step", "Pipeline Step", "entity", ["Step"]),
        ("start_date", "Start Date", "date"), ("due_date", "Due Date", "date"), ("est_in_mins", "Bid", "duration"),
        ("time_logs_sum", "Time Logged", "duration"), ("sg_priority_1", "Priority", "list", ["1", "2", "3"]),
        ("task_reviewers", "Reviewers", "multi_entity", ["HumanUser"]),
    ]),
    "TaskTemplate": ("Task Template", False, [("entity_type", "Entity Type", "text")]),
    "Ticket": ("Ticket", True, [
        ("title", "Subject", "text"), ("sg_priority", "Priority", "list", ["1", "2", "3"]),
        ("addressings_to", "Assigned To", "multi_entity", ["HumanUser", "Group"]), ("sg_ticket_type", "Type", "list", ["Bug", "Feature", "Support"]),
    ]),
    "TimeLog": ("Time Log", True, [("duration", "Duration", "duration"), ("date", "Date", "date"), ("user", "Person", "entity", ["HumanUser"]), ("entity", "Link", "entity", ["Task"])]),
    "Version": ("Version", True, [
        ("entity", "Link", "entity", ["Shot", "Asset", "Sequence"]), ("sg_task", "Task", "entity", ["Task"]),
        ("user", "Artist", "entity", ["HumanUser"]), ("sg_path_to_movie", "Path to Movie", "text"),
        ("sg_path_to_frames", "Path to Frames", "text"), ("playlists", "Playlists", "multi_entity", ["Playlist"]),
        ("frame_count", "Frame Count", "number"), ("client_approved", "Client Approved", "checkbox"),
    ]),
    # Custom entities, as studios enable and rename them.
    "CustomEntity01": ("Outsource Package", True, [("sg_vendor", "Vendor", "entity", ["Group"]), ("sg_due", "Due", "date"), ("sg_shots", "Shots", "multi_entity", ["Shot"])]),
    "CustomEntity02": ("Review Room", False, [("sg_capacity", "Capacity", "number"), ("sg_projector", "Projector", "text")]),
    "CustomEntity03": ("Mocap Session", True, [("sg_stage", "Stage", "text"), ("sg_performers", "Performers", "text")]),
    "CustomNonProjectEntity01": ("Software License", False, [("sg_seats", "Seats", "number"), ("sg_expires", "Expires", "date"), ("sg_vendor_name", "Vendor Name", "text")]),
}

# Fields every entity type has (the "code" field's display name is per type).
COMMON = [
    ("created_at", "Date Created", "date_time"), ("created_by", "Created by", "entity", ["HumanUser", "ApiUser"]),
    ("updated_at", "Date Updated", "date_time"), ("updated_by", "Updated by", "entity", ["HumanUser", "ApiUser"]),
    ("description", "Description", "text"), ("tags", "Tags", "multi_entity", ["Tag"]),
]
PROJECT_FIELDS = [("project", "Project", "entity", ["Project"]), ("sg_status_list", "Status", "status_list", STATUS)]
NO_CODE = {"HumanUser", "ApiUser", "ClientUser", "Attachment", "Booking", "EventLogEntry", "Reply", "TimeLog", "Note", "Ticket", "Task", "Project"}


def field(entity, code, name, data_type, extra=None):
    """One field as schema_read() returns it."""
    properties = {"default_value": {"editable": False, "value": None}, "summary_default": {"editable": True, "value": "none"}}
    if data_type in ("entity", "multi_entity"):
        properties["valid_types"] = {"editable": True, "value": list(extra or [])}
    if data_type in ("list", "status_list"):
        properties["valid_values"] = {"editable": True, "value": list(extra or [])}
        if data_type == "status_list":
            properties["default_value"]["value"] = extra[0]
    if data_type == "checkbox":
        properties["default_value"]["value"] = False
    system = code in ("created_at", "created_by", "updated_at", "updated_by", "id")
    return {
        "mandatory": {"editable": False, "value": code == "code"},
        "name": {"editable": True, "value": name},
        "data_type": {"editable": False, "value": data_type},
        "entity_type": {"editable": False, "value": entity},
        "editable": {"editable": False, "value": not system},
        "unique": {"editable": False, "value": False},
        "properties": properties,
        "description": {"editable": True, "value": ""},
    }


def build():
    schema_read, schema_entity_read = {}, {}
    for entity, (display, in_project, own) in sorted(ENTITIES.items()):
        specs = [("id", "Id", "number")] + list(COMMON)
        if entity not in NO_CODE:
            specs.append(("code", f"{display} Name", "text"))
        if in_project:
            specs += [s for s in PROJECT_FIELDS if s[0] not in {o[0] for o in own}]
        specs += own
        schema_read[entity] = {s[0]: field(entity, *s) for s in specs}
        schema_entity_read[entity] = {"name": {"editable": False, "value": display}, "visible": {"editable": False, "value": True}}
    return {"schema_read": schema_read, "schema_entity_read": schema_entity_read}


def main(argv):
    text = json.dumps(build(), indent=1, sort_keys=True) + "\n"
    if "--check" in argv:
        stale = not OUT.exists() or OUT.read_text(encoding="utf-8") != text
        print(f"{OUT} is {'stale: run scripts/make_demo_schema.py' if stale else 'up to date'}")
        return 1 if stale else 0
    OUT.write_text(text, encoding="utf-8")
    entities = len(ENTITIES)
    fields_count = sum(len(v) for v in build()["schema_read"].values())
    print(f"wrote {OUT}: {entities} entity types, {fields_count} fields")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
