// libyaml as virt-exporter sees it: its event parser, which LibYAML.swift turns into YAMLNode trees
// for the web config file. The tag names (YAML_STR_TAG, …) come through as Swift strings.
#ifndef CYAML_H
#define CYAML_H

#include <yaml.h>

#endif
