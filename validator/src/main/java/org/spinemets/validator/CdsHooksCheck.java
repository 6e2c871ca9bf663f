package org.spinemets.validator;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.StrictErrorHandler;
import ca.uhn.hapi.fhir.cdshooks.api.json.CdsServiceJson;
import ca.uhn.hapi.fhir.cdshooks.api.json.CdsServiceResponseCardJson;
import ca.uhn.hapi.fhir.cdshooks.api.json.CdsServiceResponseJson;
import ca.uhn.hapi.fhir.cdshooks.api.json.CdsServiceResponseSuggestionActionJson;
import ca.uhn.hapi.fhir.cdshooks.api.json.CdsServiceResponseSuggestionJson;
import ca.uhn.hapi.fhir.cdshooks.api.json.CdsServicesJson;
import ca.uhn.hapi.fhir.cdshooks.module.CdsHooksObjectMapperFactory;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads CDS Hooks JSON with HAPI FHIR's own CDS Hooks models (hapi-fhir-server-cds-hooks, an
 * implementation of the specification written elsewhere) and fails on anything they reject.
 * Stricter than HAPI's own mapper, which ignores unknown properties: here a property the models
 * do not know is a failure (a misspelt field would otherwise pass unseen), except the one CDS
 * Hooks 2.0 field the 8.6.5 models lack, discovery's optional {@code usageRequirements}.
 *
 * <pre>
 * CdsHooksCheck DIR
 * </pre>
 *
 * {@code DIR/discovery.json} is read as a discovery response ({@link CdsServicesJson}), every
 * other {@code DIR/*.json} as a service response ({@link CdsServiceResponseJson}). Reading is
 * strict: an unknown property, a value of the wrong type, an indicator outside the specification's
 * enumeration or a FHIR resource in an action that HAPI's R4 parser does not accept (strict error
 * handler) is a failure. Then the fields the CDS Hooks 2.0 specification requires, which the
 * models leave optional, are checked. Exit status 0 when every file passes, 1 otherwise.
 */
public final class CdsHooksCheck {

	private static final Set<String> ACTION_TYPES = Set.of("create", "update", "delete");

	private CdsHooksCheck() {}

	/** CDS Hooks 2.0 discovery fields that HAPI 8.6.5's CdsServiceJson does not model. */
	@JsonIgnoreProperties({"usageRequirements"})
	abstract static class ServiceSpecFieldsMixin {}

	public static void main(String[] args) throws Exception {
		if (args.length != 1 || !new File(args[0]).isDirectory()) {
			System.err.println("usage: CdsHooksCheck DIR");
			System.exit(2);
		}
		FhirContext fhir = FhirContext.forR4();
		fhir.setParserErrorHandler(new StrictErrorHandler());
		ObjectMapper mapper = new CdsHooksObjectMapperFactory(fhir)
				.newMapper()
				.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
				.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
				.enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
				.addMixIn(CdsServiceJson.class, ServiceSpecFieldsMixin.class);
		File[] files = new File(args[0]).listFiles((dir, name) -> name.endsWith(".json"));
		Arrays.sort(files);
		int failed = 0;
		for (File file : files) {
			List<String> problems = new ArrayList<>();
			try {
				if (file.getName().equals("discovery.json")) {
					checkDiscovery(mapper.readValue(file, CdsServicesJson.class), problems);
				} else {
					checkResponse(mapper.readValue(file, CdsServiceResponseJson.class), problems);
				}
			} catch (Exception e) { // any rejection by the models is the finding we report
				problems.add("rejected by HAPI's CDS Hooks models: " + e.getMessage().replace('\n', ' '));
			}
			if (problems.isEmpty()) {
				System.out.println("ok   " + file.getName());
			} else {
				failed++;
				problems.forEach(p -> System.out.println("FAIL " + file.getName() + ": " + p));
			}
		}
		System.out.printf("%d files, %d failed%n", files.length, failed);
		System.exit(failed == 0 && files.length > 0 ? 0 : 1);
	}

	static void checkDiscovery(CdsServicesJson discovery, List<String> problems) {
		if (discovery.getServices() == null || discovery.getServices().isEmpty()) {
			problems.add("no services");
			return;
		}
		Set<String> ids = new HashSet<>();
		for (CdsServiceJson service : discovery.getServices()) {
			String where = "service " + service.getId();
			require(service.getId(), where + ": id", problems);
			require(service.getHook(), where + ": hook", problems);
			require(service.getDescription(), where + ": description", problems);
			if (service.getId() != null && !ids.add(service.getId())) {
				problems.add(where + ": id listed twice");
			}
		}
	}

	static void checkResponse(CdsServiceResponseJson response, List<String> problems) {
		if (response.getCards() == null) {
			problems.add("no cards array (required, may be empty)");
			return;
		}
		int n = 0;
		for (CdsServiceResponseCardJson card : response.getCards()) {
			String where = "card " + n++;
			require(card.getSummary(), where + ": summary", problems);
			if (card.getSummary() != null && card.getSummary().length() >= 140) {
				problems.add(where + ": summary is " + card.getSummary().length() + " characters (< 140)");
			}
			if (card.getIndicator() == null) {
				problems.add(where + ": indicator missing");
			}
			if (card.getSource() == null || card.getSource().getLabel() == null) {
				problems.add(where + ": source.label missing");
			}
			if (card.getSuggestions() != null) {
				for (CdsServiceResponseSuggestionJson suggestion : card.getSuggestions()) {
					require(suggestion.getLabel(), where + ": suggestion label", problems);
					if (suggestion.getActions() == null) {
						continue;
					}
					for (CdsServiceResponseSuggestionActionJson action : suggestion.getActions()) {
						if (!ACTION_TYPES.contains(action.getType())) {
							problems.add(where + ": action type '" + action.getType() + "'");
						}
						if (!"delete".equals(action.getType()) && action.getResource() == null) {
							problems.add(where + ": " + action.getType() + " action without a resource");
						}
					}
				}
			}
		}
	}

	private static void require(String value, String what, List<String> problems) {
		if (value == null || value.isBlank()) {
			problems.add(what + " missing");
		}
	}
}
